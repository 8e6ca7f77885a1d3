"""``char_ends`` (the text length after each token, used to cut CoTs at token level and to place
activation rows) equals incremental decoding on real tokenizer kinds: byte-level BPE (characters
split over several tokens), SentencePiece-style metaspace (a token decodes differently alone than
in context) and WordPiece (continuation pieces, spaces cleaned up before punctuation)."""

from __future__ import annotations

import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from thinkscope.activations import char_ends, tokens_covering

CORPUS = [
    "Wait, let me re-check: 12 * 7 = 84, so the café bill is 84 €.",
    "Hmm. Maybe the answer is négatif — no, it's positive: 3 + 4 = 7.",
    "So the total is 42 . Let me verify , again : 40 + 2 = 42 !",
] * 20
TEXT = "Wait, the café costs 84 €. Hmm, let me re-check : 40 + 2 = 42 !"
ASCII = "So 12 * 7 = 84. Let me verify, again: 40 + 2 = 42."  # byte-level pieces join exactly


def _trained(model, pre, decoder, trainer, **kw) -> PreTrainedTokenizerFast:
    tok = Tokenizer(model)
    tok.pre_tokenizer, tok.decoder = pre, decoder
    tok.train_from_iterator(CORPUS, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, **kw)


def _byte_bpe() -> PreTrainedTokenizerFast:
    return _trained(models.BPE(), pre_tokenizers.ByteLevel(add_prefix_space=False),
                    decoders.ByteLevel(), trainers.BpeTrainer(
                        vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))


def _metaspace() -> PreTrainedTokenizerFast:
    return _trained(models.BPE(unk_token="<unk>"), pre_tokenizers.Metaspace(),
                    decoders.Metaspace(),
                    trainers.BpeTrainer(vocab_size=200, special_tokens=["<unk>"]),
                    unk_token="<unk>")


def _wordpiece() -> PreTrainedTokenizerFast:
    return _trained(models.WordPiece(unk_token="[UNK]"), pre_tokenizers.BertPreTokenizer(),
                    decoders.WordPiece(),
                    trainers.WordPieceTrainer(vocab_size=150, special_tokens=["[UNK]"]),
                    unk_token="[UNK]", clean_up_tokenization_spaces=True)


@pytest.mark.parametrize("make", [_byte_bpe, _metaspace, _wordpiece])
@pytest.mark.parametrize("text", [TEXT, ASCII])
def test_char_ends_equal_incremental_decoding(make, text):
    tok = make()
    ids = tok.encode(text, add_special_tokens=False)
    assert len(ids) > 10
    want = [len(tok.decode(ids[:i], skip_special_tokens=False)) for i in range(1, len(ids) + 1)]
    assert char_ends(tok, ids) == want
    cache: dict[int, str] = {}
    assert char_ends(tok, ids, cache) == want and cache  # the cache changes nothing
    assert char_ends(tok, ids, cache) == want


def test_tokens_covering():
    ends = [2, 5, 5, 9]
    assert [tokens_covering(ends, c) for c in (0, 2, 3, 5, 6, 9, 10)] == [1, 1, 2, 2, 4, 4, 4]
    assert tokens_covering([], 3) == 0
