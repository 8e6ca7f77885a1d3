"""A character-level ``PreTrainedTokenizerFast`` with think tags and a chat template.

Character level keeps the organisms' vocabulary tiny and makes every digit its own token, so
truncating a trace "at a step" is exact. ``<think>``/``</think>`` are added tokens that are *not*
special, as in the R1/Qwen tokenizers, so they survive ``skip_special_tokens`` decoding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

PAD, UNK, EOS = "<pad>", "<unk>", "<|end|>"
ROLE_TOKENS = ("<|system|>", "<|user|>", "<|assistant|>")
THINK_TOKENS = ("<think>", "</think>")
CHARS = ["\n", "\t"] + [chr(c) for c in range(32, 127)]

# R1-style: the generation prompt opens the think block.
CHAT_TEMPLATE = (
    "{% for m in messages %}"
    "{{ '<|' + m['role'] + '|>\\n' + m['content'] }}"
    "{% if m['role'] == 'assistant' %}{{ '<|end|>' }}{% endif %}"
    "{{ '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n<think>\\n' }}{% endif %}"
)


def build_tokenizer() -> PreTrainedTokenizerFast:
    """The organisms' tokenizer (deterministic: the same ids on every machine)."""
    from transformers import PreTrainedTokenizerFast

    specials = [PAD, UNK, EOS, *ROLE_TOKENS]
    vocab = {tok: i for i, tok in enumerate(specials + list(THINK_TOKENS) + CHARS)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    tok.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=PAD, unk_token=UNK, eos_token=EOS,
        additional_special_tokens=list(ROLE_TOKENS), padding_side="left",
        clean_up_tokenization_spaces=False,
    )
    from transformers import AddedToken

    fast.add_tokens([AddedToken(t, special=False, normalized=False) for t in THINK_TOKENS])
    fast.chat_template = CHAT_TEMPLATE
    return fast
