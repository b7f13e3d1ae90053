"""Fuzz material shared by the HTTP and chat fuzz tests: hostile text, the registry's command
words, and a roster with one person in every role, each with a WeCom and a DingTalk account."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.access import rules
from handlers.conversation.commands import COMMANDS
from storage.models import Person, PersonRole, Role
from tests.fakes.roster import make_staff, make_student

STAFF_ROLES = tuple(sorted(rules.STAFF_ROLES))
STUDENT_ROLES = (Role.PSYCH_COMMITTEE, Role.DORM_HEAD)
WORDS = sorted({word for command in COMMANDS for word in command.words})
PREFIXES = sorted({command.prefix for command in COMMANDS if command.prefix})
BUTTONS = sorted({command.button for command in COMMANDS if command.button})
NAMES = ("张三", "李四", "学长", "王老师", "不存在")

_SNIPPETS = (
    "**粗体** _斜体_ `代码` # 标题",
    "[点我](javascript:alert(1))",
    "<script>alert('x')</script>",
    "<a href='http://evil.example'>链接</a>",
    "{{ 7*7 }} {% raw %}",
    "]]><xml>",
    "&amp; &#0; &lt;",
    "\u202e反转\u200b零宽\ufeff",
    "1; DROP TABLE person; --",
    "%s %d {0} ${x}",
    "确认",
    "取消",
    "不想活了",
)
_control = st.characters(min_codepoint=0, max_codepoint=0x1F) | st.sampled_from("\x7f\x85\u2028")
_surrogate = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
_chinese = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_piece = st.one_of(
    st.sampled_from(_SNIPPETS),
    st.sampled_from(NAMES),
    st.text(_chinese, max_size=8),
    st.text(_control, min_size=1, max_size=3),
    _surrogate,
    st.text(max_size=12),
    st.integers(-(10**30), 10**30).map(str),
)
_long = st.builds(lambda piece, times: piece * times, _piece, st.integers(200, 3000))
HOSTILE = st.one_of(
    st.lists(_piece, max_size=6).map(" ".join),
    _long,
)
"""Markdown, links, template and XML syntax, control characters, lone surrogates, very long
strings, Chinese: whatever a person (or a broken client) might type."""

COMMAND_LINE = st.one_of(
    st.sampled_from(WORDS),
    st.builds(lambda word, rest: f"{word} {rest}", st.sampled_from(WORDS + PREFIXES), HOSTILE),
    st.builds(lambda word, rest: f"{word}{rest}", st.sampled_from(PREFIXES), HOSTILE),
)
"""A command word from the registry, alone or with hostile arguments."""

BUTTON_KEY = st.builds(lambda head, rest: head + rest, st.sampled_from(BUTTONS), HOSTILE)


def utf8(text: str) -> bytes:
    """The bytes a careless client sends: a lone surrogate passes through as is."""
    return text.encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class Member:
    code: str
    role: str
    wecom: str
    dingtalk: str


async def everyone(session: AsyncSession) -> list[Member]:
    """A person in every role; the students have a full team, one of them key attention."""
    members: list[Member] = []
    staff: dict[str, Person] = {}
    for index, role in enumerate(STAFF_ROLES):
        code = f"T{index + 1}"
        staff[role] = await make_staff(
            session, code=code, roles=(role,), wecom=f"w{code}", dingtalk=f"d{code}"
        )
        members.append(Member(code, role, f"w{code}", f"d{code}"))
    peer = await make_student(session, name="学长", code="P1", wecom="wP1", dingtalk="dP1")
    members.append(Member("P1", Role.PEER_MENTOR, "wP1", "dP1"))
    team = {
        "academic_mentor": staff[Role.ACADEMIC_MENTOR],
        "student_affairs": staff[Role.COUNSELLOR],
        "peer_mentor": peer,
    }
    await make_student(
        session, name="张三", code="S1", key_attention=True, team=team, wecom="wS1", dingtalk="dS1"
    )
    members.append(Member("S1", Role.STUDENT, "wS1", "dS1"))
    for index, role in enumerate(STUDENT_ROLES):
        code = f"S{index + 2}"
        person = await make_student(
            session, name="李四", code=code, team=team, wecom=f"w{code}", dingtalk=f"d{code}"
        )
        assert person.id is not None
        session.add(PersonRole(person_id=person.id, role=role))
        members.append(Member(code, role, f"w{code}", f"d{code}"))
    await session.flush()
    return members
