import argparse

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--shard", type=int, default=0)
args = parser.parse_args()
model = torch.nn.Linear(4, 4).cuda()
