"""Demo special students: categories, key attention and 1+1+1 teams, with a few gaps."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from storage.demo.data import DemoData
from storage.demo.people import PersonSpec
from storage.demo.staff import CollegeStaff, Staff
from storage.models import Role, TeamRole

SPECIAL_SHARE = 0.2
PAIR_SHARE = 0.25
KEY_SHARE = 0.08
CLASS_TEACHER_SHARE = 0.3
STUDENTS_PER_PEER = 2
FRAGILE = frozenset({"psychological", "orphan"})
GAP_SEATS = (TeamRole.PEER_MENTOR, TeamRole.ACADEMIC_MENTOR, TeamRole.STUDENT_AFFAIRS)


@dataclass(frozen=True)
class Reserved:
    """The students the demo points to: one special, their peer mentor, one ordinary."""

    special: PersonSpec
    peer: PersonSpec
    ordinary: PersonSpec

    def __contains__(self, student: object) -> bool:
        return student is self.special or student is self.peer or student is self.ordinary


@dataclass(eq=False)
class Team:
    student: PersonSpec
    seats: dict[str, PersonSpec]


@dataclass
class TeamMaker:
    """Draws the special students, their categories and their teams from one generator."""

    rng: random.Random
    data: DemoData
    reserved: Reserved
    year: int

    def special(self, students: Sequence[PersonSpec]) -> list[PersonSpec]:
        """About a fifth of each college; the reserved special student comes first."""
        reserved, special = self.reserved, list[PersonSpec]()
        for college in dict.fromkeys(s.college for s in students):
            members = [s for s in students if s.college == college]
            forced = [reserved.special] if reserved.special in members else []
            pool = [s for s in members if s not in reserved]
            count = max(len(forced), round(len(members) * SPECIAL_SHARE)) - len(forced)
            special += forced + sorted(self.rng.sample(pool, count), key=lambda s: s.code)
        return special

    def categories(self, special: Sequence[PersonSpec], codes: Sequence[str]) -> None:
        """Every category is used at least once; a quarter of the students get a second one."""
        rng = self.rng
        firsts = rng.sample(list(codes), len(codes))
        weights = [self.data.category_weight.get(code, 1) for code in codes]
        for index, student in enumerate(special):
            first = firsts[index] if index < len(firsts) else rng.choices(codes, weights)[0]
            student.categories = [first]
            if rng.random() < PAIR_SHARE:
                companions = [c for c in self.data.companions.get(first, ()) if c in codes]
                others = [c for c in codes if c != first]
                student.categories.append(rng.choice(companions or others))
            self._traits(student)

    def _traits(self, student: PersonSpec) -> None:
        if "ethnic_preparatory" in student.categories:
            student.native_place = self.rng.choice(self.data.ethnic_places)
        if "veteran" in student.categories and student.birth_date is not None:
            born, years = student.birth_date, self.rng.randint(2, 4)
            student.birth_date = born.replace(year=born.year - years, day=min(born.day, 28))

    def key_attention(self, special: Sequence[PersonSpec]) -> None:
        """A handful of 重点关注 students, mostly with psychological or orphan categories."""
        count = max(2, round(len(special) * KEY_SHARE))
        others = [s for s in special if s is not self.reserved.special]
        ranked = sorted(others, key=lambda s: (not FRAGILE & set(s.categories), self.rng.random()))
        for student in [self.reserved.special, *ranked[: count - 1]]:
            student.key_attention = True

    def teams(
        self, staff: Staff, *, students: Sequence[PersonSpec], special: Sequence[PersonSpec]
    ) -> list[Team]:
        """A full 1+1+1 team from the student's own college for every special student."""
        teams: list[Team] = []
        load: Counter[int] = Counter()
        excluded = {id(s) for s in special}
        for name, college in staff.colleges.items():
            members = [s for s in special if s.college == name]
            candidates = [s for s in students if s.college == name and id(s) not in excluded]
            peers = self._peers(candidates, count=len(members))
            for index, student in enumerate(members):
                seats: dict[str, PersonSpec] = {
                    TeamRole.ACADEMIC_MENTOR: self._least_loaded(college.mentors, load),
                    TeamRole.STUDENT_AFFAIRS: self._student_affairs(college, student),
                    TeamRole.PEER_MENTOR: peers[index % len(peers)],
                }
                if student is self.reserved.special:
                    seats[TeamRole.ACADEMIC_MENTOR] = college.mentors[0]
                    seats[TeamRole.STUDENT_AFFAIRS] = college.counsellors[0]
                teams.append(Team(student, seats))
        return teams

    def _peers(self, candidates: Sequence[PersonSpec], *, count: int) -> list[PersonSpec]:
        """Non-special students above the first year, each helping about two special students."""
        wanted = max(1, math.ceil(count / STUDENTS_PER_PEER))
        reserved = self.reserved
        forced = [reserved.peer] if reserved.peer in candidates else []
        pool = [s for s in candidates if s not in reserved and s.grade != str(self.year)]
        return forced + self.rng.sample(pool, min(len(pool), wanted - len(forced)))

    def _least_loaded(self, mentors: Sequence[PersonSpec], load: Counter[int]) -> PersonSpec:
        mentor = min(mentors, key=lambda m: (load[id(m)], self.rng.random()))
        load[id(mentor)] += 1
        return mentor

    def _student_affairs(self, college: CollegeStaff, student: PersonSpec) -> PersonSpec:
        """The class teacher of the student's class, or else the counsellor of their grade."""
        if (
            self.rng.random() < CLASS_TEACHER_SHARE
            and student.class_name in college.class_teacher_of
        ):
            return college.class_teacher_of[student.class_name]
        return college.counsellor_for(grade=int(student.grade or self.year), year=self.year)

    def gaps(self, teams: Sequence[Team]) -> list[tuple[PersonSpec, str]]:
        """Leave one seat empty for a few students, so a completeness check has work to do."""
        candidates = [t for t in teams if t.student is not self.reserved.special]
        count = min(len(candidates), max(3, round(len(teams) / 15)))
        chosen = sorted(self.rng.sample(candidates, count), key=lambda t: t.student.code)
        gaps: list[tuple[PersonSpec, str]] = []
        for index, team in enumerate(chosen):
            seat = GAP_SEATS[index % len(GAP_SEATS)]
            del team.seats[seat]
            gaps.append((team.student, seat))
        return gaps


def mark_peer_mentors(teams: Sequence[Team]) -> list[PersonSpec]:
    """Give every student who holds a peer seat the peer_mentor role; return them."""
    peers = {id(p): p for t in teams if (p := t.seats.get(TeamRole.PEER_MENTOR))}
    for peer in peers.values():
        peer.roles = [Role.PEER_MENTOR]
    return list(peers.values())


def mark_network(students: Sequence[PersonSpec]) -> None:
    """The class and dorm level of the four-level network: the last student of each class
    (by code) is its 心理委员, the last of each dorm its 寝室长 (the last, so that the demo's
    reserved first students keep their plain roles)."""
    for key, role in ((_class_of, Role.PSYCH_COMMITTEE), (_dorm_of, Role.DORM_HEAD)):
        last: dict[tuple[str | None, str | None], PersonSpec] = {}
        for student in sorted(students, key=lambda s: s.code):
            if key(student)[1] is not None:
                last[key(student)] = student
        for student in last.values():
            student.roles = [*student.roles, role]


def _class_of(student: PersonSpec) -> tuple[str | None, str | None]:
    return student.college, student.class_name


def _dorm_of(student: PersonSpec) -> tuple[str | None, str | None]:
    return None, student.dorm
