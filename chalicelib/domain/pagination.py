"""Page sizes of every list (API.md: `limit` defaults to 20, at most 100).

Pure numbers, so handlers can declare their query schema without reaching
into `store/`, where the paging itself happens.
"""

from __future__ import annotations

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
