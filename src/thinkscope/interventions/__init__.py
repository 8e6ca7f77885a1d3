"""Training-data interventions: does fine-tuning on a model's generations transmit knowledge
that never appears in the text?

A teacher is given a piece of knowledge through its system prompt and writes data that has
nothing to do with it (number continuations); a filter removes every sample that mentions it;
students are fine-tuned (LoRA, TRL) on that data and on the same kind of data from a teacher
without the knowledge; then each is asked about the knowledge. ``run_stages`` does it all,
resumably; ``thinkscope experiment transmission`` (``thinkscope.pipeline.run_transmission``)
adds the analysis and the report.
"""

from ._data import Example, FilterResult, filter_samples, number_prompts, well_formed
from ._experiment import (
    GEMMA3,
    SIZES,
    SMOLLM2,
    TransmissionConfig,
    run_stages,
    student_folder,
    student_plans,
)
from ._expression import (
    ARM_COMPARISONS,
    COMPARISONS,
    ROLES,
    comparisons,
    expression_table,
    likelihood_frame,
    likelihood_summary,
    parse_label,
    role_of,
)
from ._knowledge import KNOWLEDGE, Knowledge, register_knowledge
from ._probe import knowledge_probe, last_token_states
from ._stages import (
    ASK_PREFIX,
    TEACH_PREFIX,
    LabelledBackend,
    ask,
    plain_builder,
    target_probability,
    teach,
)
from ._student import (
    PLAIN_TEMPLATE,
    StudentConfig,
    fit,
    lora_student,
    tokenize_examples,
    train_student,
)

__all__ = [
    "ARM_COMPARISONS", "ASK_PREFIX", "COMPARISONS", "GEMMA3", "KNOWLEDGE", "PLAIN_TEMPLATE",
    "ROLES", "SIZES", "SMOLLM2", "TEACH_PREFIX", "Example", "FilterResult", "Knowledge",
    "LabelledBackend", "StudentConfig", "TransmissionConfig", "ask", "comparisons",
    "expression_table", "filter_samples", "fit", "knowledge_probe", "last_token_states",
    "likelihood_frame", "likelihood_summary", "lora_student", "number_prompts", "parse_label",
    "plain_builder", "register_knowledge", "role_of", "run_stages", "student_folder",
    "student_plans", "target_probability", "teach", "tokenize_examples", "train_student",
    "well_formed",
]
