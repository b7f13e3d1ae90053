"""Demo students: names, classes, dorms, guardians of a synthetic university (pure, seeded)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import Any

from storage.demo.data import FEMALE, MALE, College, DemoData, Major, Word
from storage.models import PersonKind

CLASS_SIZE = 30
ROOM_SIZE = 4
ROOMS_PER_FLOOR = 20
FLOORS = 6
DINGTALK_SHARE = 0.85


@dataclass(eq=False)
class PersonSpec:
    """A person to insert (compared by identity); rows refer to people by code."""

    code: str
    kind: PersonKind
    name: str
    gender: str
    wecom: str
    college: str | None = None
    major: str | None = None
    class_name: str | None = None
    grade: str | None = None
    dorm: str | None = None
    native_place: str | None = None
    birth_date: date | None = None
    graduation_year: int | None = None
    phone: str | None = None
    guardian_name: str | None = None
    guardian_phone: str | None = None
    key_attention: bool = False
    dingtalk: str | None = None
    roles: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)

    def row(self, now: datetime) -> dict[str, Any]:
        """The column values of this person's `person` row."""
        skip = {"wecom", "dingtalk", "roles", "categories"}
        row = {k: v for k, v in vars(self).items() if k not in skip}
        return {**row, "created_at": now, "updated_at": now}


@dataclass(frozen=True)
class Name:
    surname: Word
    given: tuple[Word, ...]

    @property
    def text(self) -> str:
        return self.surname.text + "".join(w.text for w in self.given)

    @property
    def pinyin(self) -> str:
        return self.surname.pinyin + "".join(w.pinyin for w in self.given)


class NameMaker:
    """Draws distinct full names and numbered WeCom accounts (zhangwei01, zhangwei02 …)."""

    def __init__(self, rng: random.Random, data: DemoData) -> None:
        self._rng = rng
        self._data = data
        self._weights = list(accumulate(1 / (rank + 8) for rank in range(len(data.surnames))))
        self._used: set[str] = set()
        self._accounts: Counter[str] = Counter()

    def draw(self, gender: str, surname: Word | None = None) -> Name:
        """A name; not guaranteed distinct (guardians may share names with anyone)."""
        rng = self._rng
        family = surname or rng.choices(self._data.surnames, cum_weights=self._weights)[0]
        length = 1 if rng.random() < 0.3 else 2
        return Name(family, tuple(rng.choices(self._data.given[gender], k=length)))

    def person(self, gender: str) -> Name:
        name = self.draw(gender)
        for _ in range(50):
            if name.text not in self._used:
                break
            name = self.draw(gender)
        self._used.add(name.text)
        return name

    def account(self, name: Name) -> str:
        self._accounts[name.pinyin] += 1
        return f"{name.pinyin}{self._accounts[name.pinyin]:02d}"


def phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def split(total: int, parts: int) -> list[int]:
    """`total` split into `parts` near-equal counts, the larger ones first."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


@dataclass
class StudentMaker:
    rng: random.Random
    data: DemoData
    names: NameMaker

    def college(self, college: College, *, count: int, year: int) -> Iterator[PersonSpec]:
        # Sophomores first: they take the remainder, so the well-known codes always exist.
        for offset, size in zip((1, 2, 0, 3), split(count, 4), strict=True):
            yield from self._grade(college, grade=year - offset, size=size)

    def _grade(self, college: College, *, grade: int, size: int) -> Iterator[PersonSpec]:
        classes = max(1, round(size / CLASS_SIZE))
        majors = college.majors
        for serial in range(1, size + 1):
            index = (serial - 1) % classes
            major = majors[(index + grade) % len(majors)]
            class_name = f"{major.abbr}{grade % 100:02d}{index // len(majors) + 1:02d}"
            code = f"{grade}{college.number:02d}{serial:04d}"
            yield self._student(college, code=code, grade=grade, major=major, class_name=class_name)

    def _student(
        self, college: College, *, code: str, grade: int, major: Major, class_name: str
    ) -> PersonSpec:
        rng = self.rng
        gender = MALE if rng.random() < college.male_ratio else FEMALE
        name = self.names.person(gender)
        guardian = self._guardian(name)
        return PersonSpec(
            code=code,
            kind=PersonKind.STUDENT,
            name=name.text,
            gender=gender,
            wecom=self.names.account(name),
            college=college.name,
            major=major.name,
            class_name=class_name,
            grade=str(grade),
            native_place=rng.choice(self.data.native_places),
            birth_date=date(grade - 18, 1, 1) + timedelta(days=rng.randrange(365)),
            graduation_year=grade + 4,
            phone=phone(rng),
            guardian_name=guardian,
            guardian_phone=phone(rng),
            dingtalk=code if rng.random() < DINGTALK_SHARE else None,
        )

    def _guardian(self, child: Name) -> str:
        if self.rng.random() < 0.7:
            return self.names.draw(MALE, surname=child.surname).text
        return self.names.draw(FEMALE).text


def make_students(
    maker: StudentMaker, *, colleges: Sequence[College], total: int, year: int
) -> list[PersonSpec]:
    """`total` students spread over the colleges and the four grades up to `year`."""
    students: list[PersonSpec] = []
    for college, count in zip(colleges, split(total, len(colleges)), strict=True):
        students.extend(maker.college(college, count=count, year=year))
    assign_dorms(students, maker.data)
    return students


def assign_dorms(students: Sequence[PersonSpec], data: DemoData) -> None:
    """Classmates of one gender share rooms of four, filled building by building."""
    groups: defaultdict[tuple[str, str], list[PersonSpec]] = defaultdict(list)
    for student in students:
        groups[(student.gender, student.class_name or "")].append(student)
    used: Counter[str] = Counter()
    for (gender, _), members in sorted(groups.items()):
        area = data.dorm_area[gender]
        for start in range(0, len(members), ROOM_SIZE):
            room = _room(data.dorm_pattern, area=area, index=used[area])
            used[area] += 1
            for student in members[start : start + ROOM_SIZE]:
                student.dorm = room


def _room(pattern: str, *, area: str, index: int) -> str:
    per_building = ROOMS_PER_FLOOR * FLOORS
    return pattern.format(
        area=area,
        building=index // per_building + 1,
        floor=index // ROOMS_PER_FLOOR % FLOORS + 1,
        room=index % ROOMS_PER_FLOOR + 1,
    )
