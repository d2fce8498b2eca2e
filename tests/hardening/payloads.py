"""Hostile and unusual inputs shared by the hardening tests."""
from __future__ import annotations

LONG = ("The client and I sat with the silence for a long time. " * 1900)[:100_000]

PAYLOADS: dict[str, str] = {
    "nul_and_controls": "She paused\x00 then\x07 said\x1b[31m nothing\x7f at all, twice.",
    "lone_surrogates": "broken \ud800 text \udfff with \udcff escapes",
    "rtl_zero_width": "I felt \u202eyltneuqerf\u202c stuck\u200b\u200d and \ufeffrigid in the room.",
    "markdown": "**bold** __under__ ~~strike~~ `tick` ```py\nprint('x')\n``` ||spoiler|| > quote # heading [link](http://x.y)",
    "mentions": "@everyone @here <@123456789012345678> <@!123456789012345679> <@&123456789012345670> <#123456789012345671>",
    "jinja": "{{ 7*7 }} {% raw %}x{% endraw %} ${7*7} #{7*7} {{ ''.__class__.__mro__[1].__subclasses__() }} {{config}} <%= 7*7 %>",
    "jinja_partial": "{% raw %} {{ 7*7 } {# comment",
    "sql": "'); DROP TABLE entries;-- \" OR 1=1; -- /* */",
    "emoji": "😶‍🌫️😔💔🫠🙏🏽",
    "spanish": "La clienta habló de su familia y sentí mucha tensión; ¿qué hago con mi propia ansiedad?",
    "arabic": "شعرت بالقلق عندما تحدثت العميلة عن عائلتها، وكان الصمت طويلاً.",
    "chinese": "来访者谈到她的家庭时，我感到紧张，沉默持续了很久。",
    "long": LONG,
}

TEMPLATE_RESULTS = ("49", "<class", "__subclasses__()[", "Undefined")
