"""Question types: one class per type (see :mod:`.base`), registered through entry points
(:mod:`.registry`). Adding a type is one module with one :class:`~.base.QuestionKind` subclass
and one line under ``assessment_engine.question_types`` in a ``setup.cfg``."""
