"""The shell walk: commands in order, variables followed, unknowns kept unknown."""

from __future__ import annotations

import textwrap

from scriptkeeper.body import shell
from scriptkeeper.body.shell import UNKNOWN, Command


def walk(text: str, **env: str) -> list[Command]:
    return shell.walk(textwrap.dedent(text), shell.initial_env(dict(env))).commands


def argvs(text: str, **env: str) -> list[list[str]]:
    return [c.argv for c in walk(text, **env)]


def test_variables_assigned_earlier_are_followed() -> None:
    assert argvs("""
        GPUS=8
        NODES=2
        torchrun --nproc_per_node=$GPUS --nnodes ${NODES} train.py
    """) == [["torchrun", "--nproc_per_node=8", "--nnodes", "2", "train.py"]]


def test_arithmetic_on_known_numbers() -> None:
    assert argvs("""
        GPUS_PER_NODE=4
        accelerate launch --num_processes $((SLURM_NNODES * GPUS_PER_NODE)) train.py
    """, SLURM_NNODES="2")[0][3] == "8"


def test_a_value_from_outside_stays_unknown() -> None:
    [cmd] = walk("""
        N=$(nvidia-smi -L | wc -l)
        torchrun --nproc_per_node=$N --nnodes=$((N * 2)) train.py ${EPOCHS:-10}
    """)
    assert cmd.argv[1] == "--nproc_per_node=" + UNKNOWN
    assert UNKNOWN in cmd.argv[2]
    assert cmd.argv[4] == UNKNOWN  # EPOCHS could be set in the submitting environment


def test_default_applies_only_when_the_script_unset_it() -> None:
    assert argvs("""
        unset GPUS
        python train.py ${GPUS:-8} ${MISSING-x}
    """)[0][2:] == ["8", UNKNOWN]


def test_export_is_remembered_with_its_line() -> None:
    [cmd] = walk("""
        export CUDA_VISIBLE_DEVICES=0,1
        python train.py
    """)
    var = cmd.env["CUDA_VISIBLE_DEVICES"]
    assert (var.value, var.exported, var.line) == ("0,1", True, 2)


def test_prefix_assignment_is_for_that_command_only() -> None:
    first, second = walk("""
        CUDA_VISIBLE_DEVICES=3 python a.py
        python b.py
    """)
    assert first.env["CUDA_VISIBLE_DEVICES"].value == "3"
    assert "CUDA_VISIBLE_DEVICES" not in second.env


def test_line_continuations_make_one_command_on_its_first_line() -> None:
    [cmd] = walk("""
        srun python train.py \\
            --epochs 3 \\
            --lr 1e-4
    """)
    assert cmd.argv == ["srun", "python", "train.py", "--epochs", "3", "--lr", "1e-4"]
    assert (cmd.line, cmd.end_line) == (2, 4)


def test_functions_run_where_they_are_called_with_their_arguments() -> None:
    [cmd] = walk("""
        launch() {
            srun --ntasks-per-node=$1 "${@:2}" python train.py "$@"
        }
        TASKS=4
        launch $TASKS --lr "1 2"
    """)
    assert cmd.argv[:2] == ["srun", "--ntasks-per-node=4"]
    assert cmd.argv[-3:] == ["4", "--lr", "1 2"]
    assert cmd.line == 3


def test_a_function_never_called_runs_nothing() -> None:
    assert argvs("""
        unused() { srun python never.py; }
        python used.py
    """) == [["python", "used.py"]]


def test_if_branches_that_agree_keep_the_value_and_others_do_not() -> None:
    same, differ, one_sided = walk("""
        if [ -n "$BIG" ]; then A=8; B=8; C=1; else A=8; B=4; fi
        python x.py $A
        python y.py $B
        python z.py $C
    """)
    assert same.argv[2] == "8"
    assert differ.argv[2] == UNKNOWN
    assert one_sided.argv[2] == UNKNOWN


def test_commands_inside_if_loop_and_case_are_found() -> None:
    assert [a[0] for a in argvs("""
        if true; then srun python a.py; fi
        for seed in 1 2 3; do python b.py --seed $seed; done
        while false; do torchrun c.py; done
        case "$MODE" in
          big) deepspeed d.py ;;
          *) accelerate launch e.py ;;
        esac
    """)] == ["srun", "python", "torchrun", "deepspeed", "accelerate"]


def test_a_loop_makes_what_it_changes_unknown() -> None:
    cmd = walk("""
        N=1
        for i in 1 2; do N=$i; done
        python x.py $N $i
    """)[-1]
    assert cmd.argv[2:] == [UNKNOWN, UNKNOWN]


def test_and_or_tails_are_maybe() -> None:
    cmd = walk("""
        G=4
        [ -z "$X" ] && G=8
        cd sub && python train.py $G
    """)[-1]
    assert cmd.argv[2] == UNKNOWN
    assert cmd.cwd == "sub"


def test_unquoted_expansion_is_split_into_words() -> None:
    assert argvs("""
        LAUNCHER="python -u -m torch.distributed.run --nproc_per_node 8"
        CMD="train.py --lr 1"
        srun $LAUNCHER $CMD
    """) == [["srun", "python", "-u", "-m", "torch.distributed.run", "--nproc_per_node", "8",
              "train.py", "--lr", "1"]]


def test_an_unknown_unquoted_expansion_is_wild_but_slurm_values_are_one_word() -> None:
    [cmd] = walk("""
        srun $EXTRA_ARGS --jobid $SLURM_JOB_ID python train.py
    """)
    assert cmd.wild == frozenset({1})
    assert cmd.argv[3] == UNKNOWN


def test_command_substitution_values_are_one_word() -> None:
    [cmd] = walk("""
        MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
        torchrun --master_addr $MASTER_ADDR train.py
    """)
    assert not cmd.wild
    assert cmd.argv[-1] == "train.py"


def test_expansions_inside_a_string_keep_the_spaces_between_them() -> None:
    assert argvs("""
        LAUNCHER="python -u"
        PROGRAM=train.py
        CMD="$LAUNCHER $PROGRAM ${PROGRAM} --x"
        bash -c "$CMD"
    """)[-1][2] == "python -u train.py train.py --x"


def test_double_quoted_string_with_escapes() -> None:
    [cmd] = walk(r"""
        CMD="torchrun --nproc_per_node 8 train.py"
        srun bash -c "$CMD --node_rank \$SLURM_PROCID"
    """)
    assert cmd.argv[3] == "torchrun --nproc_per_node 8 train.py --node_rank $SLURM_PROCID"
    assert cmd.rank_vars == ()


def test_per_task_variables_expanded_by_the_batch_shell_are_noted() -> None:
    direct, derived, quoted = walk("""
        srun python train.py --rank $SLURM_PROCID
        NODE=$SLURM_NODEID
        srun torchrun --node_rank=$NODE train.py
        srun bash -c 'python train.py --rank $SLURM_PROCID'
    """, SLURM_PROCID="0", SLURM_NODEID="0")
    assert direct.rank_vars == ("SLURM_PROCID",)
    assert derived.rank_vars == ("NODE",)
    assert quoted.rank_vars == ()


def test_eval_of_a_known_string_is_walked() -> None:
    assert argvs("""
        CMD="srun -n 2 python e.py"
        eval $CMD
    """)[-1] == ["srun", "-n", "2", "python", "e.py"]


def test_uninteresting_commands_are_not_recorded() -> None:
    assert argvs("""
        echo start
        module load cuda
        mkdir -p logs
        python train.py
    """) == [["python", "train.py"]]


def test_subshells_and_pipelines_do_not_change_the_script_variables() -> None:
    cmd = walk("""
        G=1
        (G=8; python inner.py $G)
        echo x | G=4
        python outer.py $G
    """)[-1]
    assert cmd.argv == ["python", "outer.py", "1"]


def test_set_a_exports_what_follows() -> None:
    cmd = walk("""
        set -a
        A=1
        set +a
        B=2
        python x.py
    """)[-1]
    assert cmd.env["A"].exported and not cmd.env["B"].exported


def test_cd_is_tracked_relative_and_lost_when_absolute() -> None:
    first, second = walk("""
        cd src/models
        cd ..
        python a.py
        cd $HOME/project
        python b.py
    """)
    assert first.cwd == "src"
    assert second.cwd is None


def test_files_written_before_a_command_are_known() -> None:
    cmd = walk("""
        cat > gen.py <<EOF
        print(1)
        EOF
        cp template.py out/run.py
        python gen.py
    """)[-1]
    assert {"gen.py", "out/run.py"} <= cmd.produced


def test_sourced_repository_file_sets_variables() -> None:
    files = {"env.sh": b"export GPUS=4\n"}

    def reader(path: str, cwd: str | None) -> tuple[str, bytes] | None:
        return (path, files[path]) if path in files else None

    walked = shell.walk("source env.sh\ntorchrun --nproc_per_node=$GPUS t.py\n", {},
                        source_reader=reader)
    assert walked.commands[-1].argv[1] == "--nproc_per_node=4"


def test_syntax_errors_are_flagged_with_a_line() -> None:
    walked = shell.walk("if true; then\n  python a.py\n", {})
    assert walked.has_error
    assert walked.commands[0].argv == ["python", "a.py"]
    assert not shell.walk("python a.py\n", {}).has_error


def test_a_value_that_doubles_on_each_line_becomes_unknown_at_the_bound() -> None:
    # found by bench/fuzz_analysis.py: thirty doublings asked for gigabytes
    import tracemalloc

    text = "X=ab\n" + "X=$X$X\n" * 40 + "srun -n 2 echo $X\nsrun echo short\n"
    tracemalloc.start()
    commands = walk(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert commands[0].argv[:4] == ["srun", "-n", "2", "echo"]
    assert commands[0].argv[4] == UNKNOWN
    assert commands[1].argv == ["srun", "echo", "short"]
    assert peak < 8 * shell.VALUE_MAX * 4  # a few copies of the largest value, not 2**40


def test_the_doubling_below_the_bound_is_still_followed() -> None:
    text = "X=ab\n" + "X=$X$X\n" * 3 + "srun echo $X\n"
    assert argvs(text) == [["srun", "echo", "ab" * 8]]


def test_many_variables_share_one_budget() -> None:
    # each value under VALUE_MAX, but together past the walk's budget: the later ones unknown
    size = shell.VALUE_MAX // 2
    lines = ["Y=" + "y" * 1024] + ["Y=$Y$Y"] * 5  # 32 KiB, built in the script
    count = 2 * shell.EXPANSION_BUDGET // size + 2
    lines += [f"V{i}=$Y$Y" for i in range(count)] + [f"srun $V{count - 1}", "srun $V0"]
    echoed = argvs("\n".join(lines) + "\n")
    assert echoed[-2] == ["srun", UNKNOWN]
    assert echoed[-1] == ["srun", "y" * size * 2]


def test_shell_arithmetic_wraps_in_64_bits_like_bash() -> None:
    assert argvs("srun $(( 9223372036854775807 + 1 )) $(( 7 / -2 )) $(( -7 % 2 ))\n") == [
        ["srun", "-9223372036854775808", "-3", "-1"]]
    big = "9" * 400  # a float division of this once raised OverflowError
    assert argvs(f"srun $(( {big} / 3 ))\n")[0][0] == "srun"


def test_digits_that_are_not_ascii_are_not_numbers() -> None:
    assert shell.as_int("\u00b2") is None  # '²'.isdigit() is True, int('²') raises
    assert shell.as_int("\u0663") is None  # Arabic-Indic three: no launcher reads it
    assert shell.as_int("9" * 5000) is None
    assert shell.as_int("0042") == 42


def test_statements_nested_past_the_bound_are_unknown_not_a_recursion_error() -> None:
    # 2000 nested ifs once raised RecursionError out of the walk
    depth = 2000
    text = ("N=4\n" + "if true; then\n" * depth + "N=9\nsrun -n $N python deep.py\n"
            + "fi\n" * depth + "srun -n $N python after.py\n")
    result = shell.walk(text, shell.initial_env({}))
    assert result.opaque  # the commands past the bound may launch unseen
    after = result.commands[-1]
    assert after.argv[:2] == ["srun", "-n"] and after.argv[3:] == ["python", "after.py"]
    assert after.argv[2] == UNKNOWN  # N may have been set to 9 in there


def test_nesting_below_the_bound_is_walked() -> None:
    depth = 20
    text = "if true; then\n" * depth + "srun -n 4 python deep.py\n" + "fi\n" * depth
    result = shell.walk(text, shell.initial_env({}))
    assert not result.opaque
    assert [c.argv for c in result.commands] == [["srun", "-n", "4", "python", "deep.py"]]
