"""The AI gateway: the only way code in this project calls a model.

    from studymate_api.ai import AITask, TextInput, generate

    result = generate(AITask.SUMMARY_BRIEF, TextInput(text), user=request.user,
                      options=GenerateOptions(provider=settings_provider))
    result.text, result.provider, result.tokens_used

    for item in generate_stream(AITask.SUMMARY_DETAILED, TextInput(text), user=user):
        if isinstance(item, str): send(item)      # plain-text pieces
        else: final = item                        # the AIResult, last

    questions = generate(AITask.QUIZ_QUESTIONS, QuizInput(text, count=5), user=user)
    questions.structured(QuizQuestionSet).questions
    grading = generate(AITask.ESSAY_GRADING, EssayInput(question, answer, rubric), user=user)
    grading.structured(EssayGrade).score

Inputs are typed per task (`TextInput`, `QuizInput`, `EssayInput`, `ChatInput`) and hold only
data; the system instructions are fixed per task in `catalog`, and the data reaches the model as
a separate user message. Routing, retries, the circuit breaker, limits, accounting and the credit
hook are described in `gateway`; settings in studymate_api/settings/ai.py.
"""

from .config import LOCAL as LOCAL_PROVIDER
from .config import PROVIDERS as PROVIDER_NAMES
from .contracts import (
    AIResult,
    AITask,
    ChatInput,
    Difficulty,
    EssayInput,
    GenerateOptions,
    PromptParts,
    QuestionType,
    QuizInput,
    RubricCriterion,
    TextInput,
    UsageSummary,
)
from .credits import CreditHook, CreditRequest, Settle, credits_port
from .errors import (
    GENERATION_ERRORS,
    AIError,
    AIOutputInvalid,
    AIRequestRejected,
    AIThrottled,
    AIUnavailable,
)
from .gateway import StreamItem, generate, generate_stream
from .routing import enabled_providers
from .schemas import ConceptList, CriterionScore, EssayGrade, GeneratedQuestion, QuizQuestionSet

__all__ = [
    "GENERATION_ERRORS",
    "LOCAL_PROVIDER",
    "PROVIDER_NAMES",
    "AIError",
    "AIOutputInvalid",
    "AIRequestRejected",
    "AIResult",
    "AITask",
    "AIThrottled",
    "AIUnavailable",
    "ChatInput",
    "ConceptList",
    "CreditHook",
    "CreditRequest",
    "CriterionScore",
    "Difficulty",
    "EssayGrade",
    "EssayInput",
    "GenerateOptions",
    "GeneratedQuestion",
    "PromptParts",
    "QuestionType",
    "QuizInput",
    "QuizQuestionSet",
    "RubricCriterion",
    "Settle",
    "StreamItem",
    "TextInput",
    "UsageSummary",
    "credits_port",
    "enabled_providers",
    "generate",
    "generate_stream",
]
