"""Padding and hooks shared by generation, extraction and steering."""

from __future__ import annotations

import pytest
import torch

from thinkscope.models import forward_hook, hidden_of, pad_batch, with_hidden


def test_left_and_right_padding():
    ids, mask = pad_batch([[1, 2, 3], [4]], pad_id=0, side="left")
    assert ids.tolist() == [[1, 2, 3], [0, 0, 4]]
    assert mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    ids, mask = pad_batch([[1, 2, 3], [4]], pad_id=9, side="right", width=4)
    assert ids.tolist() == [[1, 2, 3, 9], [4, 9, 9, 9]]
    assert mask.tolist() == [[1, 1, 1, 0], [1, 0, 0, 0]]
    with pytest.raises(ValueError):
        pad_batch([[1]], 0, side="middle")


def test_forward_hook_edits_the_output_and_is_removed_on_error():
    lin = torch.nn.Linear(2, 2)
    x = torch.ones(1, 2)
    plain = lin(x)
    with forward_hook(lin, lambda m, a, out: with_hidden(out, hidden_of(out) + 1)):
        assert torch.allclose(lin(x), plain + 1)
    assert torch.allclose(lin(x), plain)
    with pytest.raises(RuntimeError):
        with forward_hook(lin, lambda m, a, out: out * 0):
            raise RuntimeError("boom")
    assert torch.allclose(lin(x), plain) and not lin._forward_hooks
    # tuple outputs keep their other items
    out = (torch.zeros(2), "cache")
    assert with_hidden(out, torch.ones(2))[1] == "cache"
