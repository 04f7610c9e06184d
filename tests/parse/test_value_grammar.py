"""Value grammars as sbatch 22.05 reads them: what it accepts, what it refuses, in its words.

Each case was run through real ``sbatch --test-only`` on the local cluster
(tests/differential holds the cases that need it). A GPU type is the site's
own word: only the cluster knows whether it exists.
"""

from __future__ import annotations

import pytest

from scriptkeeper.parse.directive import Directive
from scriptkeeper.parse.validate import duplicate_facts, value_facts
from scriptkeeper.parse.value_grammar import GpuCount, parse_gpus, parse_gres, parse_time

ACCEPTED = [
    ("gres", "gpu:1080ti:1"),
    ("gres", "gpu:3g.40gb:1"),        # a MIG profile
    ("gres", "gpu:a100_80g:2"),
    ("gres", "gpu:h200:1k"),          # suffixes in either case
    ("gres", "gpu:h200:1,gpu:h200:2"),
    ("gres", "gpu:h200:18446744073709551614"),  # huge, but below strtoull's ceiling
    ("gpus", "1080ti:1"),
    ("gpus", "3g.40gb:2"),
    ("gpus-per-node", "a100_80g:4"),
    ("time", "1-"),                   # one day
    ("time", "1-0"),
    ("ntasks", "4294967297"),         # strtol, then a C int: stored as 1
    ("ntasks-per-node", "2147483648"),  # stored negative: read as not given
    ("nodes", "4294967297"),
    ("nodes", "3-0"),                 # a maximum of 0 is no maximum
    ("cpus-per-task", "4294967297"),
    ("mem", "9223372036854775807"),   # LLONG_MAX itself: strtoll sets no error
    ("mem", "18014398509481984G"),    # 2**64 MB wraps to 0: the whole node
    ("mem", "100000000000K"),
    ("time", "9" * 180),              # any number of digits
    ("time", "0:" + "9" * 20),
    ("gpus-per-node", "18446744073709551614"),
    ("array", "0-4000000"),           # within the largest MaxArraySize a site may set
    ("array", "1-2%" + "9" * 180),    # the limit is not checked
    ("array", "[0-3]"),               # brackets around the index list
    ("array", "[0-3]%2"),
    ("array", "[1,3,5]"),
    ("array", "0-3]"),
    ("open-mode", "append;"),         # sbatch reads the first letter only
    ("open-mode", "A"),
    ("open-mode", "tx"),
]

REFUSED = [
    ("gres", "gpu:h200:2,gpu:1",
     "Invalid GRES specification (with and without type identification)"),
    ("gres", "gpu:1,gpu:h200:2",
     "Invalid GRES specification (with and without type identification)"),
    ("gres", "gpu::1", "Invalid generic resource (gres) specification 'gpu::1'"),
    ("gres", "gpu:h200:", "Invalid generic resource (gres) specification 'gpu:h200:'"),
    ("gres", "gpu:a:b:1", "Invalid generic resource (gres) specification 'gpu:a:b:1'"),
    ("gres", "gpu:h200:18446744073709551615",
     "Invalid generic resource (gres) specification 'gpu:h200:18446744073709551615'"),
    ("gpus", "h200:99999999999999999999",
     "Invalid generic resource (gres) specification 'h200:99999999999999999999'"),
    ("ntasks-per-node", "99999999999999999999999",
     "Numeric argument (9223372036854775807) to big for --ntasks-per-node."),
    ("ntasks", "9223372036854775807",
     "Numeric argument (9223372036854775807) to big for --ntasks."),
    ("cpus-per-task", "9" * 90,
     "Numeric argument (9223372036854775807) to big for --cpus-per-task."),
    ("ntasks", "9223372036854775806", "invalid number of tasks (-n -2)"),
    ("ntasks", "2147483648", "invalid number of tasks (-n -2147483648)"),
    ("cpus-per-task", "2147483648", "invalid number of cpus per task (-c -2147483648)"),
    ("cpus-per-task", "4294967296", "invalid number of cpus per task (-c 0)"),
    ("nodes", "2147483648", '"2147483648" is not a valid node count'),
    ("nodes", "9" * 60, f'"{"9" * 60}" is not a valid node count'),
    ("nodes", "1-" + "9" * 60, "Maximum node count -1 is less than minimum node count 1"),
    ("mem", "9223372036854775808", "Invalid --mem specification"),
    ("mem", "9" * 90, "Invalid --mem specification"),
    ("mem", "9999999999999999999G", "Invalid --mem specification"),
    ("mem-per-cpu", "9223372036854775808", "Invalid --mem-per-cpu specification"),
    ("gpus-per-node", "18446744073709551615",
     "Invalid Trackable RESource (TRES) specification"),
    ("gpus-per-node", "9" * 90, "Invalid Trackable RESource (TRES) specification"),
    ("gres", "gpu:" + "9" * 90, "Invalid Trackable RESource (TRES) specification"),
    ("gpus-per-node", "h200:18446744073709551615",
     "Invalid generic resource (gres) specification 'h200:18446744073709551615'"),
    ("array", "4000001", "Invalid job array specification '4000001'"),
    ("array", "0-" + "9" * 60, f"Invalid job array specification '0-{'9' * 60}'"),
    ("array", "0-4:0", "Invalid job array specification '0-4:0'"),
    ("time", "1-:30", "Invalid time limit specification '1-:30'"),
    ("array", "[[0-3]]", "Invalid job array specification '[[0-3]]'"),
    ("array", "x[0-3]", "Invalid job array specification 'x[0-3]'"),
    ("open-mode", "x", "Invalid --open-mode argument: x"),
]


def _facts(option: str, value: str) -> list[str]:
    directive = Directive(option, value, 2, f"--{option}={value}")
    return [f.detail for f in value_facts([directive])]


@pytest.mark.parametrize(("option", "value"), ACCEPTED)
def test_accepted_values_make_no_fact(option: str, value: str) -> None:
    assert _facts(option, value) == []


@pytest.mark.parametrize(("option", "value", "said"), REFUSED)
def test_refused_values_say_what_sbatch_says(option: str, value: str, said: str) -> None:
    assert _facts(option, value) == [
        f"'--{option}={value}' has a value sbatch refuses: {said}"]


def test_a_value_thousands_of_digits_long_is_refused_and_shown_short() -> None:
    # longer than int() reads: still sbatch's answer, in a message of bounded length
    [detail] = _facts("cpus-per-task", "9" * 5000)
    assert detail == ("'--cpus-per-task=" + "9" * 64 + "... (5016 characters)' has a value "
                      "sbatch refuses: Numeric argument (9223372036854775807) to big for "
                      "--cpus-per-task.")
    [detail] = _facts("mem", "9" * 5000)
    assert detail.endswith("has a value sbatch refuses: Invalid --mem specification")


def test_site_gpu_types_are_read_as_types() -> None:
    assert parse_gres("gpu:1080ti:2") == {"gpu": GpuCount(2, "1080ti")}
    assert parse_gres("gpu:3g.40gb:1") == {"gpu": GpuCount(1, "3g.40gb")}
    assert parse_gpus("1080ti:4") == GpuCount(4, "1080ti")
    assert parse_time("2-") == 2 * 24 * 60


def test_repeated_mail_types_combine_but_other_repeats_warn() -> None:
    mail = [Directive("mail-type", v, n, f"--mail-type={v}")
            for n, v in ((2, "BEGIN"), (3, "END"), (4, "FAIL"))]
    assert duplicate_facts(mail) == []
    times = [Directive("time", v, n, f"--time={v}") for n, v in ((2, "10"), (3, "20"))]
    assert [f.kind for f in duplicate_facts(times)] == ["duplicate-option"]
