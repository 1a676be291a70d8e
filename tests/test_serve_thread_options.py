"""``ner-pipeline serve``'s TensorFlow thread pool options (serving/thread_options.py)."""

import pytest

from pipeline import cli
from serving import thread_options


def parse(*flags):
    return cli.build_parser().parse_args(["serve", "--model-dir", "m", *flags])


def test_flags_take_tf_serving_and_hyphenated_names_and_default_to_tensorflows_choice():
    assert (parse().tensorflow_intra_op_parallelism,
            parse().tensorflow_inter_op_parallelism) == (0, 0)
    for flags in (["--tensorflow_intra_op_parallelism=1", "--tensorflow_inter_op_parallelism=2"],
                  ["--tensorflow-intra-op-parallelism", "1",
                   "--tensorflow-inter-op-parallelism", "2"]):
        args = parse(*flags)
        assert (args.tensorflow_intra_op_parallelism, args.tensorflow_inter_op_parallelism) == (1, 2)
        assert thread_options.usage_problem(args) is None


def test_a_negative_pool_is_refused_in_one_line(tmp_path, capsys):
    assert cli.main(["serve", "--model-dir", str(tmp_path),
                     "--tensorflow_intra_op_parallelism=-2"]) == 2
    assert capsys.readouterr().err == ("ner-pipeline serve: error: "
                                       "--tensorflow_intra_op_parallelism: must be 0 or more; "
                                       "was -2\n")


@pytest.mark.parametrize("flags, expected", [
    ([], {}),
    (["--tensorflow_intra_op_parallelism=1"], {"intra": 1}),
    (["--tensorflow_intra_op_parallelism=1", "--tensorflow_inter_op_parallelism=3"],
     {"intra": 1, "inter": 3}),
])
def test_only_given_pools_are_set(flags, expected, monkeypatch):
    import tensorflow as tf
    calls = {}
    monkeypatch.setattr(tf.config.threading, "set_intra_op_parallelism_threads",
                        lambda n: calls.__setitem__("intra", n))
    monkeypatch.setattr(tf.config.threading, "set_inter_op_parallelism_threads",
                        lambda n: calls.__setitem__("inter", n))
    thread_options.apply(parse(*flags))
    assert calls == expected
