"""The words :mod:`tracker.panel.refusals` reads in a panel's error: those
refusing the key, of a key shut for a while only, of a panel too busy or
limiting our calls, of a request about an order or a link, of the panel's own
server failing, of a request plainly refused or of anything said no to, and
of the call itself refused, with the HTTP code a non-200 answer's words carry
ahead of them. Data only: the regular expressions' sources; the reading,
compiled at its first use, is :mod:`tracker.panel.refusals`'.
"""

from __future__ import annotations

AUTH_PATTERNS = (
    r"api key|api_key|invalid key|incorrect key|wrong key|account is inactive|"
    r"account (?:is )?(?:suspended|banned|disabled|blocked)|unauthori[sz]ed"
)
# Words saying the key itself is no good (it never was, or no longer is).
KEY_GONE_WORDS = (
    r"invalid|incorrect|wrong|revoked|expired|\b(?:unknown|bad)\s+(?:api[\s_-]?)?key\b|"
    r"\b(?:deleted|removed)\b|not (?:valid|found|exist)|(?:does|do)(?:n['’]?t| not) exist|"
    r"\bno such\b"
)
KEY_GONE = KEY_GONE_WORDS
# Words that refuse the key, beside its name: those, or the key shut. With
# them, busy words next to the key stay its refusal ("Invalid API key.
# Please retry in 60 seconds"); without, "API key rate limit exceeded" is a
# rate limit.
KEY_DENIED = (
    KEY_GONE_WORDS + r"|inactive|suspended|banned|disabled|blocked|unauthori[sz]ed|denied|"
    r"required|missing|not (?:allowed|active)|(?:does|do)(?:n['’]?t| not) match|"
    r"\bno\b(?!\s+more\b)|\b(?:deactivated|locked|terminated|closed)\b"
)
# A key shut for a while only ("temporarily locked", "blocked for 60
# seconds", "try again in 1 minute") beside rate-limit words: the rate limit,
# unless words say the key itself is no good.
FOR_A_WHILE = (
    r"\btemporar(?:y|ily)\b|\bfor \d+ ?(?:s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b|"
    r"\buntil\b|\b(?:re)?try (?:it )?(?:again )?in\b"
)
# A panel saying it is too busy to answer now (HTTP 200 with these words): a
# rate limit or an outage of the panel, like HTTP 429 or 503, never a refusal
# of the key or of an order.
BUSY_PATTERNS = (
    r"too many requests|rate.?limit|slow down|"
    r"\b(?:server|database|db|system|site|api|service|panel)s? (?:is |are )?(?:currently |too )?"
    r"(?:busy|overloaded)|temporarily (?:unavailable|disabled|down)|maintenance|"
    # A limit on calls, never on an order's refill, cancel or order requests
    # ("Refill request limit reached for this order" is the order's refusal).
    r"(?<!refill )(?<!cancel )(?<!order )\b(?:requests?|calls?|api|quer(?:y|ies)) limits?\b|"
    r"^\W*limit (?:exceeded|reached)\W*$|"
    r"\btoo many (?:api )?(?:calls|attempts|quer(?:y|ies))\b|\bthrottl(?:ed|ing)\b|"
    r"\bquota (?:exceeded|reached|exhausted)|"
    r"\b(?:exceeded|reached|over|exhausted) (?:the |your |its )?(?:\w+ ){0,2}quota\b|"
    r"^\W*(?:503 )?service (?:temporarily )?unavailable\W*$|"
    r"temporarily (?:unable|overloaded|offline)"
)
# Of those, the words of a rate limit (the panel counting our calls), not of
# a panel busy or down: doctor warns for these, and fails for the others.
RATE_WORDS = r"too many|rate.?limit|slow down|\blimits?\b|throttl|quota"
# Words asking to come back later: busy, unless they are about what was asked
# ("Refill already requested, try again in 24 hours", "Not enough funds, try
# again later": the refusal of that order or request, said politely).
LATER = (
    r"\b(?:re)?try(?: it)?(?: again)? (?:later|shortly|soon|in|after)\b|"
    r"\bwait (?:\d+ ?|(?:a few|a couple of|a) )(?:s|secs?|seconds?|m|mins?|minutes?|moments?)\b"
)
ABOUT_THE_REQUEST = (
    r"\b(?:orders?|refills?|cancel\w*|funds|balance|links?|quantity|eligible|service id|"
    r"service (?:is )?disabled)\b"
)
# A limit on something the request named, not on calls: the request's refusal
# ("Too many requests for this link", "API limit: max 100 orders per link").
PER_REQUEST = r"\b(?:links?|per (?:order|service)|service id)\b"

# Words saying the panel's own server failed, not the order or the key: a
# PHP panel's database error ("SQLSTATE[HY000] [1040] Too many connections"),
# an internal or server error, an uncaught exception.
FAULT_PATTERNS = (
    r"sqlstate|too many connections|\b(?:internal|server|database|db|mysqli?|sql) errors?\b|"
    r"\b(?:pdo|mysqli?_sql_)?exception\b|fatal error|uncaught|deadlock|"
    r"(?:could not|couldn'?t|can'?t|cannot|unable to) connect|"
    # Its database's connection ("Database connection failed", "MySQL server
    # has gone away", "Lost connection to MySQL server").
    r"\b(?:database|db|mysqli?|sql|redis) (?:connection|server)\b|"
    r"\bconnection (?:to|with) (?:the )?(?:database|db|mysqli?|sql|redis)\b|"
    # The script's own runtime error, as its error or shutdown handler writes
    # it ($e->getMessage(), error_get_last()), without "Fatal error:": it died
    # part-way, maybe after its INSERT; or its call to its provider timed out.
    r"maximum execution time|allowed memory size|\bcall to (?:a member|undefined) |"
    r"(?:trying to access|cannot access) (?:array )?offset|\battempt to (?:read|assign) property|"
    r"\bundefined (?:array key|index|offset|variable|property|constant)\b|"
    r"division by zero|unsupported operand types|\bmust be of type\b|"
    r"\bcurl error \d+|\boperation timed out\b|\bgateway time-?out\b"
)

# Words that plainly refuse a request ("Incorrect order ID", "Order not eligible
# for refill.", "Refill is disabled for this service"). Other words where an ID
# goes ("Your refill request has been accepted") may mean it was taken.
REFUSING = (
    r"\b(?:not|no|never|cannot|unable|incorrect|invalid|wrong|disabled|denied|refused|"
    r"rejected|forbidden|errors?|fail(?:ed|s)?|insufficient|required|expired|already|"
    r"too many|bad|(?:do|does|did|is|are|was|ca|wo)n['’]?t)\b"
)


# Words that say no beside those above: what was asked is unknown, missing,
# unavailable, past a limit, or its user shut out ("Unknown order", "API
# unavailable", "5 orders max per link", "Please log in", "IP not allowed").
NO_MORE = (
    r"\b(?:unknown|missing|unavailable|restricted|suspended|banned|blocked|locked|"
    r"maintenance|prohibited|must|max(?:imum)?|min(?:imum)?|limits?|exceed(?:s|ed)?|"
    r"only|please|sorry|permission|access|log ?in|sign ?in|authori[sz]ation|"
    r"credentials?|ip|whitelist\w*|allow\w*)\b"
)


# A panel refusing the call itself, an action it lacks or a request it cannot
# read ("Incorrect request", "Unknown action", "Action not found":
# shared/api-v2.md), whole and alone: no order's words, even asked alone.
CALL_REFUSED = (
    r"[\W_]*(?:(?:incorrect|invalid|bad|unknown|wrong) (?:request|action|method)|"
    r"(?:request|action|method) (?:is )?(?:invalid|incorrect|unknown|not (?:found|supported)))"
    r"[\W_]*"
)


# The HTTP code (and the URL, for a 404 or 405) a non-200 refusal's words
# carry ahead of them (failures.with_status): "HTTP 400: Incorrect request".
WITH_CODE = r"HTTP \d{3}(?: from \S+)?: "
