"""Prompt assembly at token level.

The chat template renders the conversation with ``add_generation_prompt=True``; then, where the
template does not open the think block itself, ``<think>\\n`` is appended; then a CoT prefix is
appended *as token ids* (cut from a stored completion, never re-tokenized text), and for a forced
answer ``\\n</think>\\n\\n`` plus an answer cue. Prefixes built this way are identical token for
token, so KV/prefix caches hit. ``continue_final_message`` is never used: the R1 template drops
the think block from assistant messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class PromptStyle(str, Enum):
    """How a model family expects to be prompted for reasoning."""

    r1 = "r1"            # template opens <think> in the generation prompt (R1 distills, organisms)
    qwen3 = "qwen3"      # template takes enable_thinking; the model writes <think> itself
    think = "think"      # has think tokens but the template does not open the block: we add it
    instruct = "instruct"  # no think tokens: ask for step-by-step reasoning in the message
    base = "base"        # no chat template (a pretrained base model): a few-shot text prompt
    auto = "auto"


#: Default instruction appended to math questions for real models (DeepSeek-R1's recommended one).
MATH_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."
#: For instruct models without think tokens: a plain answer line parses far more often than a
#: boxed answer from small instruct models (SmolLM2-135M: 12/16 vs 4/16 answers found).
INSTRUCT_INSTRUCTION = ("Solve it step by step. Then write the final answer on its own line "
                        "as: The answer is <number>.")
#: The statement the instruct and base styles end with; also their forced-answer cue.
ANSWER_STATEMENT = "The answer is "
THINK_OPEN = "<think>\n"
THINK_CLOSE_FORCED = "\n</think>\n\n"


def detect_style(tokenizer: Any) -> PromptStyle:
    """Guess the prompt style from the tokenizer's chat template and vocabulary."""
    template = getattr(tokenizer, "chat_template", None) or ""
    if not template:
        return PromptStyle.base
    if "enable_thinking" in template:
        return PromptStyle.qwen3
    try:
        rendered = tokenizer.apply_chat_template(
            [{"role": "user", "content": "x"}], add_generation_prompt=True, tokenize=False
        )
    except Exception:  # noqa: BLE001 - a tokenizer without a template
        rendered = ""
    if rendered.rstrip().endswith("<think>"):
        return PromptStyle.r1
    if "<think>" in tokenizer.get_vocab():
        return PromptStyle.think
    return PromptStyle.instruct


@dataclass
class PromptBuilder:
    """Builds prompt token ids for one tokenizer.

    Args:
        tokenizer: a HF tokenizer with a chat template.
        style: prompt style (``auto`` detects it).
        instruction: text appended to the user's question (``None`` for none).
        answer_cue: text after the forced ``</think>`` that makes the model state its answer.
        system: optional system message.
    """

    tokenizer: Any
    style: PromptStyle = PromptStyle.auto
    instruction: str | None = None
    answer_cue: str = "Answer: "
    system: str | None = None
    think_close: str = THINK_CLOSE_FORCED
    #: (question, worked solution ending in its answer statement) pairs for the base style
    few_shot: tuple[tuple[str, str], ...] | None = None
    #: False: a task that is not a reasoning problem (e.g. continue a number sequence): no
    #: step-by-step instruction is added and the whole completion is the answer
    reasoning: bool = True

    def __post_init__(self) -> None:
        if self.style == PromptStyle.auto:
            # Without a tokenizer (a chat server applies its own template) assume a reasoning
            # model whose server returns the reasoning separately.
            self.style = detect_style(self.tokenizer) if self.tokenizer is not None \
                else PromptStyle.think

    def encode(self, text: str) -> list[int]:
        """Token ids of a text piece, without special tokens added ([] without a tokenizer)."""
        if self.tokenizer is None:
            return []
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def messages(self, question: str) -> list[dict[str, str]]:
        content = question if not self.instruction else f"{question}\n\n{self.instruction}"
        if self.style == PromptStyle.instruct and not self.instruction and self.reasoning:
            content = f"{question}\n\nThink step by step, then give the final answer."
        msgs = [{"role": "system", "content": self.system}] if self.system else []
        return msgs + [{"role": "user", "content": content}]

    @property
    def stop(self) -> list[str]:
        """Stop strings the style needs: a base model would go on to write the next question."""
        return ["\nQuestion:"] if self.style == PromptStyle.base else []

    def split(self, completion: str) -> tuple[str, str, bool]:
        """``(reasoning, answer, closed)`` of a completion of this builder's prompt: on think
        tags when there are any, else (instruct and base styles) before / from the answer
        statement; a base model's run-on into a next ``Question:`` is cut off first."""
        from ..text import split_reasoning, split_think

        if not self.reasoning:
            return "", completion.strip(), True
        for st in self.stop:
            cut = completion.find(st)
            completion = completion[:cut] if cut != -1 else completion
        split = split_think(completion, starts_inside=self.opens_think_itself)
        if split.has_tags:
            return split.reasoning, split.answer, split.closed
        if not self.writes_think:
            reasoning, answer = split_reasoning(completion)
            return reasoning, answer, True
        return "", completion.strip(), True

    def few_shot_text(self, question: str) -> str:
        """The base style's prompt: worked examples, then the question and ``Answer:``."""
        shots = self.few_shot if self.few_shot is not None else gsm8k_shots()
        parts = [f"Question: {q}\nAnswer: {a}" for q, a in shots]
        return "\n\n".join([*parts, f"Question: {question}\nAnswer:"])

    def render(self, question: str, open_think: bool = False) -> str:
        """The prompt as text (for records and for servers that take text)."""
        if self.tokenizer is None:
            return ""
        if self.style == PromptStyle.base:
            return self.few_shot_text(question)
        kwargs: dict[str, Any] = {}
        if self.style == PromptStyle.qwen3:
            kwargs["enable_thinking"] = True
        text = self.tokenizer.apply_chat_template(
            self.messages(question), add_generation_prompt=True, tokenize=False, **kwargs
        )
        if open_think and self.opens_think_itself is False and self.writes_think:
            text += THINK_OPEN
        return str(text)

    @property
    def writes_think(self) -> bool:
        """Whether the model reasons inside think tags (else the reasoning is the text before
        its answer statement, see ``thinkscope.text.split_reasoning``)."""
        return self.style not in (PromptStyle.instruct, PromptStyle.base)

    @property
    def opens_think_itself(self) -> bool:
        """Whether the chat template's generation prompt already ends inside ``<think>``."""
        return self.style == PromptStyle.r1

    def prompt_ids(self, question: str, open_think: bool = False) -> list[int]:
        """Chat-template ids with the generation prompt; ``open_think`` appends ``<think>\\n``
        when the template did not (needed before a CoT prefix)."""
        if self.tokenizer is None:
            return []
        if self.style == PromptStyle.base:
            return list(self.tokenizer.encode(self.few_shot_text(question)))
        kwargs: dict[str, Any] = {}
        if self.style == PromptStyle.qwen3:
            kwargs["enable_thinking"] = True
        ids = self.tokenizer.apply_chat_template(
            self.messages(question), add_generation_prompt=True, tokenize=True, **kwargs
        )
        if hasattr(ids, "keys"):  # some tokenizers return a BatchEncoding
            ids = ids["input_ids"]
        ids = list(ids)
        if open_think and not self.opens_think_itself and self.writes_think:
            ids += self.encode(THINK_OPEN)
        return ids

    def with_cot_prefix(self, prompt_ids: list[int], cot_ids: list[int]) -> list[int]:
        """Prompt (already inside the think block) followed by a CoT prefix, at token level."""
        return list(prompt_ids) + list(cot_ids)

    def forced_answer_suffix(self) -> list[int]:
        """Ids that close the think block and cue the answer."""
        if self.style == PromptStyle.instruct:
            return self.encode("\n\n" + self.answer_cue)
        if self.style == PromptStyle.base:
            return self.encode("\n" + self.answer_cue)
        return self.encode(self.think_close + self.answer_cue)

    def forced_answer_ids(self, prompt_ids: list[int], cot_ids: list[int]) -> list[int]:
        """Prompt + CoT prefix + ``\\n</think>\\n\\n`` + answer cue."""
        return self.with_cot_prefix(prompt_ids, cot_ids) + self.forced_answer_suffix()


def gsm8k_shots(n: int = 4) -> tuple[tuple[str, str], ...]:
    """The first ``n`` GSM8K train problems as worked examples ending ``The answer is X.``"""
    from ._corpora import load_corpus

    items = load_corpus("gsm8k", split="train", limit=n)
    return tuple((i.question, f"{i.meta['solution']}\n{ANSWER_STATEMENT}{i.gold}.")
                 for i in items)


def builder_for(model_ref: str, tokenizer: Any, **overrides: Any) -> PromptBuilder:
    """The prompt builder a model needs: organisms answer ``Answer: X`` right after
    ``</think>\n``; reasoning models get the math instruction and a boxed answer cue; instruct
    models without think tokens are asked to end with ``The answer is X.``; base models (no chat
    template) get GSM8K worked examples ending the same way."""
    if model_ref.startswith("organism:"):
        kw: dict[str, Any] = dict(style=PromptStyle.r1, instruction=None, answer_cue="Answer: ",
                                  think_close="</think>\n")
    else:
        style = overrides.get("style", PromptStyle.auto)
        if style == PromptStyle.auto and tokenizer is not None:
            style = detect_style(tokenizer)
        if style in (PromptStyle.instruct, PromptStyle.base):
            kw = dict(style=style, answer_cue=ANSWER_STATEMENT,
                      instruction=INSTRUCT_INSTRUCTION if style == PromptStyle.instruct else None)
        else:
            kw = dict(style=style, instruction=MATH_INSTRUCTION,
                      answer_cue="**Final Answer**\n\\boxed{")
    kw.update(overrides)
    return PromptBuilder(tokenizer, **kw)


def chat_request(backend: Any, content: str, sampling: Any, seed: int | None = None) -> Any:
    """A one-message user request for any backend: chat-template token ids when the backend has
    a tokenizer (HF, vLLM), the messages for chat servers (OpenAI-compatible)."""
    from ._protocol import GenerationRequest

    messages = [{"role": "user", "content": content}]
    tokenizer = getattr(backend, "tokenizer", None)
    ids: list[int] = []
    if tokenizer is not None:
        raw = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
        ids = list(raw["input_ids"] if hasattr(raw, "keys") else raw)
    return GenerationRequest(prompt_ids=ids, sampling=sampling, prompt_text=content,
                             messages=messages, seed=seed)


def default_max_tokens(model_ref: str, builder: PromptBuilder) -> int:
    """A completion cap that fits the model: organisms' chains are short, instruct and base
    models state a GSM8K answer within a few hundred tokens, reasoning models need thousands."""
    if model_ref.startswith("organism:"):
        return 128
    return 4096 if builder.writes_think else 512
