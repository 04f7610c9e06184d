"""Body analysis: the launch steps of a job script (model stage).

PLACEHOLDER until the launcher analysis lands: finds no steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .directives import ParsedScript
from .findings import Fact
from .model import JobModel, LaunchStep


@dataclass
class BodyAnalysis:
    steps: list[LaunchStep] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)


def analyze(parsed: ParsedScript, job: JobModel, root: Path, script_path: str,
            config: Config) -> BodyAnalysis:
    return BodyAnalysis()
