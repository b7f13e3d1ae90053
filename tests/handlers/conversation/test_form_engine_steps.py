"""The form engine as a person meets it (through `forms.handle`, on the database), on a tiny
form: each kind of step, the universal words (取消, 上一步, 跳过, 帮助, 修改 N), hints, the
rescue card and the confirmation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.access.identity import Identity
from handlers.context import Context
from handlers.conversation import forms
from handlers.conversation.forms import Answer, Choice, Form, State
from handlers.envelopes import Button, Outbound
from storage.messaging import conversations
from storage.messaging.conversations import Draft
from tests.fakes.clock import SHANGHAI
from tests.fakes.roster import make_staff
from tests.handlers.conversation.tiny_form import CONFIG, FORM, NOW, SAVED, STAMPED, make_form

RESCUE = "可以回复序号或点下面的按钮"
CHANNEL = "simulator"


class Person:
    """One person filling in one form, message by message, as the router would call it."""

    def __init__(self, session: AsyncSession, who: Identity, form: Form) -> None:
        self.ctx = Context(session=session, now=NOW.astimezone(SHANGHAI), config=CONFIG)
        self.who, self.form = who, form
        self.replies: list[Outbound] = []

    async def start(self, **prefill: tuple[Any, str]) -> str:
        self.replies = await forms.start(
            self.ctx, self.who, channel=CHANNEL, form=self.form, prefill=prefill
        )
        return self.text

    async def say(self, text: str, button: str | None = None) -> str:
        row = await self.row()
        assert row is not None, "no form open"
        self.replies = await forms.handle(
            self.ctx, self.who, row=row, form=self.form, answer=Answer(text, button)
        )
        return self.text

    async def again(self) -> str:
        row = await self.row()
        assert row is not None
        self.replies = await forms.ask_again(self.ctx, self.who, row=row, form=self.form)
        return self.text

    async def row(self) -> Draft | None:
        return await conversations.load(
            self.ctx.session, person_id=self.who.person_id, channel=CHANNEL
        )

    async def step(self) -> str | None:
        row = await self.row()
        return None if row is None else row.step

    async def state(self) -> State:
        row = await self.row()
        assert row is not None
        return State.load(conversations.data_of(row))

    @property
    def text(self) -> str:
        return "\n".join(reply.text for reply in self.replies)

    @property
    def buttons(self) -> tuple[Button, ...]:
        return self.replies[-1].buttons


@pytest.fixture
async def teacher(session: AsyncSession) -> Identity:
    SAVED.clear()
    person = await make_staff(session, name="王老师", code="T100")
    await session.commit()
    return Identity(person=person, roles=frozenset({"counsellor"}))


@pytest.fixture
def person(session: AsyncSession, teacher: Identity) -> Person:
    return Person(session, teacher, FORM)


async def _to_confirmation(person: Person, *, risk: str = "无") -> str:
    await person.start()
    await person.say("谈心")
    await person.say("跳过")
    await person.say("办公室")
    return await person.say(risk)


async def test_the_form_introduces_itself_and_asks_the_first_question_as_a_card(
    person: Person,
) -> None:
    text = await person.start()
    assert text.startswith("好的，我们来填写帮扶记录")
    assert "这次是哪种帮扶？" in text and "1. 谈心谈话" in text and "2. 宿舍走访（到寝室）" in text
    assert person.replies[-1].kind == "card" and person.replies[-1].title == "帮扶记录"
    assert person.buttons == (
        Button("form:choice:0", "谈心谈话"),
        Button("form:choice:1", "宿舍走访（到寝室）"),
    )
    assert await person.step() == "kind"


async def test_known_values_are_not_asked_again(person: Person) -> None:
    text = await person.start(kind=("走访", "宿舍走访"), when=("now", "刚才"))
    assert "在哪里进行的？" in text and "好的，我们来填写" in text
    assert await person.step() == "place"
    assert (await person.state()).labels == {"kind": "宿舍走访", "when": "刚才"}


async def test_an_answer_moves_on_and_the_next_question_says_what_skipping_gives(
    person: Person,
) -> None:
    await person.start()
    text = await person.say("", button="form:choice:1")
    assert "是什么时候？" in text and "直接回复「跳过」使用：刚才" in text
    assert "好的，我们来填写" not in text  # the introduction is said once
    assert person.replies[-1].kind == "text"
    state = await person.state()
    assert state.values == {"kind": "走访"} and state.history == ["kind"]


async def test_a_wrong_answer_gets_the_hint_and_the_same_question_then_the_rescue_card(
    person: Person,
) -> None:
    await _to_confirmation(person, risk="有")
    assert await person.step() == "detail"
    first = await person.say("这是一段太长的描述")
    assert first.startswith("风险描述最多 6 个字") and "请描述发现的风险情况" in first
    second = await person.say("夜")
    assert second.startswith("风险描述至少需要 2 个字") and RESCUE not in second
    assert (await person.state()).misses == 2
    third = await person.say("嗯")
    assert RESCUE in third
    assert await person.step() == "detail"
    await person.say("失眠")
    assert await person.step() == "confirm"
    assert (await person.state()).misses == 0


async def test_misses_start_again_at_each_step(person: Person) -> None:
    await person.start()
    await person.say("家访")
    await person.say("家访")
    await person.say("谈心")
    assert (await person.state()).misses == 0
    text = await person.say("后天")
    assert text.startswith("没看懂这个时间") and RESCUE not in text


async def test_six_choices_fit_on_a_card(session: AsyncSession, teacher: Identity) -> None:
    six = [Choice(f"k{i}", f"类型{i}") for i in range(1, 7)]
    person = Person(session, teacher, make_form(six))
    await person.start()
    assert person.replies[-1].kind == "card" and len(person.buttons) == 6
    assert "（可回复「跳过」）" not in person.text  # a required step


async def test_a_draft_missing_a_label_shows_it_blank(person: Person) -> None:
    await _to_confirmation(person)
    row = await person.row()
    assert row is not None
    state = await person.state()
    del state.labels["place"]
    ctx = person.ctx
    await conversations.store(ctx.session, row, step=row.step, data=state.dump(), now=ctx.now)
    text = await person.again()
    assert "3. 地点：\n" in text and "None" not in text and "XX" not in text


async def test_a_long_list_is_text_until_the_person_needs_rescuing_then_six_buttons(
    session: AsyncSession, teacher: Identity
) -> None:
    many = [Choice(f"k{i}", f"类型{i}") for i in range(1, 8)]
    person = Person(session, teacher, make_form(many))
    await person.start()
    assert person.replies[-1].kind == "text" and "7. 类型7" in person.text
    for _ in range(2):
        await person.say("别的")
        assert person.replies[-1].kind == "text"
    rescue = await person.say("别的")
    assert RESCUE in rescue and [r.kind for r in person.replies] == ["text", "card"]
    assert [b.key for b in person.buttons] == [f"form:choice:{i}" for i in range(6)]
    await person.say("7")
    assert (await person.state()).values["kind"] == "k7"


async def test_risk_is_asked_with_yes_and_no_buttons_that_answer_it(person: Person) -> None:
    await person.start()
    await person.say("谈心")
    await person.say("跳过")
    await person.say("办公室")
    assert "是否发现安全风险" in person.text and person.replies[-1].kind == "card"
    assert person.buttons == (Button("form:choice:0", "有"), Button("form:choice:1", "无"))
    await person.say("", button="form:choice:0")
    assert await person.step() == "detail"
    assert (await person.state()).values["risk"] is True


async def test_skip_uses_the_default_or_leaves_the_answer_empty(person: Person) -> None:
    await person.start()
    await person.say("谈心")
    when = await person.say("跳过")
    assert "（可回复「跳过」）" in when and "直接回复" not in when
    await person.say("跳过")
    state = await person.state()
    assert state.values["when"] == STAMPED and state.labels["when"] == "刚才"
    assert "place" in state.values and state.values["place"] is None
    assert state.labels["place"] == "（未填）"
    assert state.history == ["kind", "when", "place"]


@pytest.mark.parametrize(
    ("at", "answers"),
    [
        ("kind", ()),
        ("risk", ("谈心", "跳过", "办公室")),
        ("detail", ("谈心", "跳过", "办公室", "有")),
    ],
)
async def test_a_required_step_cannot_be_skipped(
    person: Person, at: str, answers: tuple[str, ...]
) -> None:
    await person.start()
    for answer in answers:
        await person.say(answer)
    assert await person.step() == at
    before = await person.state()
    text = await person.say("跳过")
    assert text.startswith("这一项需要填写，不能跳过哦。")
    assert await person.step() == at and (await person.state()).values == before.values


async def test_back_returns_to_the_previous_question_and_forgets_its_answer(
    person: Person,
) -> None:
    await person.start()
    first = await person.say("上一步")
    assert first.startswith("已经是第一个问题了。") and "这次是哪种帮扶？" in first
    await person.say("谈心")
    await person.say("家访昨天")  # a miss at the time step
    text = await person.say("返回")
    assert "这次是哪种帮扶？" in text
    state = await person.state()
    assert await person.step() == "kind"
    assert state.values == {} and state.labels == {} and state.history == [] and state.misses == 0


async def test_cancel_drops_the_draft(person: Person) -> None:
    await person.start()
    await person.say("谈心")
    await person.say("算了")
    assert person.replies == [Outbound(kind="text", text="已取消，这条帮扶记录没有保存。")]
    assert await person.row() is None and SAVED == []


async def test_help_explains_the_words_and_asks_again(person: Person) -> None:
    await person.start()
    text = await person.say("帮助")
    assert "上一步 —— 回到上一个问题" in text and "修改 N" not in text
    assert text.endswith(person.replies[-1].text) and "这次是哪种帮扶？" in person.replies[-1].text
    await person.say("谈心")
    at_when = await person.say("help")
    assert "上一步 —— 回到上一个问题" in at_when and "直接回复「跳过」使用：刚才" in at_when
    await _to_confirmation(person)
    at_confirm = await person.say("？")
    assert "修改 N —— 修改第 N 项" in at_confirm and "请核对帮扶记录" in at_confirm


async def test_the_confirmation_lists_every_answer_and_saves_only_on_confirm(
    person: Person,
) -> None:
    text = await _to_confirmation(person)
    assert "请核对帮扶记录：" in text
    assert "1. 类型：谈心谈话\n2. 时间：刚才\n3. 地点：办公室\n4. 安全风险：无" in text
    assert "风险描述" not in text
    assert person.buttons == (Button("form:confirm", "确认保存"), Button("取消", "取消"))
    assert person.replies[-1].kind == "card" and person.replies[-1].title == "帮扶记录"
    assert SAVED == []
    done = await person.say("", button="form:confirm")
    assert done == "已保存" and await person.row() is None
    assert SAVED == [{"kind": "谈心谈话", "when": STAMPED, "place": "办公室", "risk": False}]


async def test_anything_else_at_the_confirmation_says_how_to_answer(person: Person) -> None:
    await _to_confirmation(person)
    for word in ("跳过", "修改 0", "修改 5", "好吧"):
        text = await person.say(word)
        assert text.startswith("请回复「确认」保存，或「修改 1」到「修改 4」修改某一项")
        assert "请核对帮扶记录" in text and await person.step() == "confirm"
    await person.say("确认")
    assert len(SAVED) == 1


async def test_edit_n_asks_that_question_and_comes_back_to_the_confirmation(
    person: Person,
) -> None:
    await _to_confirmation(person)
    assert "这次是哪种帮扶？" in await person.say("修改 1")
    await person.say("走访")
    text = await person.say("修改 3")
    assert "在哪里进行的？" in text and await person.step() == "place"
    back = await person.say("操场")
    assert "3. 地点：操场" in back and await person.step() == "confirm"
    await person.say("修改 4")
    await person.say("无")
    history = (await person.state()).history
    assert history == ["kind", "when", "place", "risk", "kind", "place", "risk"]
    await person.say("修改 4")
    await person.say("无")  # the same step again: the path does not grow
    assert (await person.state()).history == history
    await person.say("上一步")
    assert await person.step() == "risk"
    await person.say("上一步")
    assert await person.step() == "place"  # back along the path taken


async def test_a_risk_taken_back_takes_its_description_with_it(person: Person) -> None:
    await _to_confirmation(person, risk="有")
    await person.say("失眠")
    assert "5. 风险描述：失眠" in person.text
    await person.say("修改 4")
    text = await person.say("无")
    assert "风险描述" not in text and await person.step() == "confirm"
    await person.say("确认")
    assert "detail" not in SAVED[0] and SAVED[0]["risk"] is False


async def test_edit_n_opening_a_new_step_asks_it_before_the_confirmation(
    person: Person,
) -> None:
    await _to_confirmation(person)
    await person.say("修改 4")
    text = await person.say("有")
    assert "请描述发现的风险情况" in text and await person.step() == "detail"


async def test_ask_again_repeats_the_open_question_or_the_confirmation(person: Person) -> None:
    await person.start()
    await person.say("谈心")
    assert "是什么时候？" in await person.again()
    await _to_confirmation(person)
    assert (await person.again()).startswith("请核对帮扶记录：")
    assert person.replies[-1].kind == "card"


def test_a_draft_keeps_its_fields_and_ignores_unknown_ones() -> None:
    offered = {"when": [Choice("1", "张三（1班）", ("张三", "2023001"), "3 天未联系").dump()]}
    state = State(
        values={"kind": "k"}, labels={"kind": "K"}, history=["kind"], misses=2, offered=offered
    )
    dumped = json.loads(json.dumps(state.dump()))
    assert dumped == {
        "values": {"kind": "k"},
        "labels": {"kind": "K"},
        "history": ["kind"],
        "misses": 2,
        "offered": {"when": [["1", "张三（1班）", ["张三", "2023001"], "3 天未联系"]]},
    }
    assert State.load({**dumped, "old_field": 1}) == state
    assert State.load(dumped).kept_choices("when") == [
        Choice("1", "张三（1班）", ("张三", "2023001"), "3 天未联系")
    ]
    assert State.load({}) == State()  # a draft stored before lists were kept
    assert State.load({}).kept_choices("when") is None


def test_steps_are_found_by_name_and_shown_only_when_they_apply() -> None:
    assert FORM.step("place").label == "地点"
    assert [s.name for s in FORM.shown({"risk": False})] == ["kind", "when", "place", "risk"]
    assert FORM.shown({"risk": True})[-1].name == "detail"


async def test_back_after_an_edit_skips_a_step_the_edit_closed(person: Person) -> None:
    await _to_confirmation(person, risk="有")
    await person.say("失眠")
    await person.say("修改 4")
    await person.say("无")  # the path is now kind, when, place, risk, detail, risk
    assert await person.step() == "confirm"
    await person.say("上一步")
    assert await person.step() == "risk"
    text = await person.say("上一步")
    assert await person.step() == "place" and "在哪里进行的？" in text
    state = await person.state()
    assert state.history == ["kind", "when"] and "place" not in state.values


async def test_back_at_a_confirmation_reached_without_questions_shows_it_again(
    person: Person,
) -> None:
    await person.start(
        kind=("走访", "宿舍走访"), when=("now", "刚才"), place=("操场", "操场"), risk=(False, "无")
    )
    assert await person.step() == "confirm"
    text = await person.say("上一步")
    assert text.startswith("已经是第一个问题了。") and "请核对帮扶记录" in text
    assert await person.step() == "confirm"
