"""The pages' JSON answers, with text as UTF-8 rather than escaped: a big department's names
and answers are mostly Chinese, which takes half the bytes that way."""

from __future__ import annotations

import json
from functools import partial
from typing import Final

from aiohttp import web

_dumps: Final = partial(json.dumps, ensure_ascii=False)


def json_answer(value: object, status: int = 200) -> web.Response:
    """`value` (dicts, lists, strings, numbers, booleans, None) as a JSON answer."""
    return web.json_response(value, status=status, dumps=_dumps)
