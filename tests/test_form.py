"""The form body a call sends is the bytes httpx's ``data=`` sent (tracker/panel/form.py)."""

from __future__ import annotations

import httpx
from hypothesis import given
from hypothesis import strategies as st

from tracker.panel.form import CONTENT_TYPE, form_body


def httpx_body(data: dict[str, str]) -> bytes:
    return httpx.Request("POST", "https://panel.example/api/v2", data=data).read()


def test_a_status_call_body_is_the_same_bytes():
    data = {
        "key": "k3y+/=with spaces&ümlaut",
        "action": "status",
        "orders": ",".join(str(i) for i in range(23501, 23601)),
    }
    body = form_body(data)
    assert body == httpx_body(data)
    assert b"orders=23501%2C23502%2C" in body


def test_the_content_type_is_a_form():
    request = httpx.Request("POST", "https://panel.example/api/v2", data={"a": "b"})
    assert request.headers["Content-Type"] == CONTENT_TYPE


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=12),
        st.one_of(
            st.text(max_size=40),
            st.lists(st.integers(min_value=0, max_value=10**12), max_size=6).map(
                lambda ids: ",".join(map(str, ids))
            ),
            st.text(alphabet="0123456789,٣²", max_size=12),
        ),
        max_size=5,
    )
)
def test_any_form_is_the_same_bytes_as_httpx_sends(data: dict[str, str]):
    assert form_body(data) == httpx_body(data)
