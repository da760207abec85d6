"""Small rules of typesetting shared by pages, tables and reports."""

# U+2060 WORD JOINER: invisible, and no line may break beside it.
WORD_JOINER = "\u2060"


def unbroken_ranges(text):
    """The text with its ranges kept whole: a narrow cell may wrap between words, never inside
    "(12–17)", which a browser would otherwise break after the dash."""
    return str(text).replace("–", f"{WORD_JOINER}–{WORD_JOINER}")
