"""The classes of the relational variant: what the hand does with A, and where B lies.

Every class has an object A that the hand acts on, an object B, and the hand. The classes come in
groups whose members give every object the same own motion and differ only in a relation:

===============  ==========================  ==============================================
group            own motion                  the members differ in
===============  ==========================  ==============================================
carry            the hand slides A           A ends at B / starts at B / passes B
lift             the hand lifts A on an arc  A ends on B / beside B, or starts there
out and back     the hand moves A out, back  A touches B at the turn / stops short of B
hand along       the hand slides with A      the hand touches A behind / ahead / not at all
hand out, back   the hand goes out and back  the hand touches A at the turn / stops short
===============  ==========================  ==============================================

A class and its time reverse (closer / away, on top / off, next to / from beside, pushing /
pulling) are the same layouts played backwards, with the same timing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from strg.synth.motion import lerp, still
from strg.synth.relations import (
    RELATIONS,
    TRAVEL,
    Half,
    Setting,
    any_direction,
    bounce,
    draw_window,
    progress,
    touch_distance,
    turn_back,
)

#: How far the hand reaches over the object it holds, in pixels.
GRIP_OVERLAP = (2.0, 6.0)
#: Gap in pixels between the hand and A when the hand moves alongside A.
ALONGSIDE_GAP = (16.0, 32.0)


@dataclass(frozen=True)
class Cast:
    """Half sizes (half width, half height) of A, B and the hand, in pixels."""

    a: Half
    b: Half
    hand: Half


@dataclass
class Action:
    """Centres of A, B and the hand at every frame (each T×2, pixels, placed anywhere: the
    scene moves the whole action into the crop).

    ``b`` is None in the classes where B takes no part; the scene puts B away from A and the hand.
    """

    a: np.ndarray
    hand: np.ndarray
    b: np.ndarray | None = None

    def reversed(self) -> Action:
        """The same action played backwards."""
        b = None if self.b is None else self.b[::-1].copy()
        return Action(self.a[::-1].copy(), self.hand[::-1].copy(), b)


Generator = Callable[[np.random.Generator, int, float, Cast], Action]


def _heading(track: np.ndarray) -> np.ndarray:
    """Unit vector from where a track starts to where it goes furthest."""
    reach = track - track[0]
    furthest = reach[int(np.argmax(np.linalg.norm(reach, axis=1)))]
    return furthest / max(float(np.linalg.norm(furthest)), 1e-9)


def hand_behind(rng: np.random.Generator, held: np.ndarray, cast: Cast) -> np.ndarray:
    """The hand holds A from behind its way, reaching a little over it (T×2)."""
    behind = -_heading(held)
    reach = touch_distance(cast.a, cast.hand, behind) - rng.uniform(*GRIP_OVERLAP)
    return held + behind[None, :] * reach


def hand_above(rng: np.random.Generator, held: np.ndarray, cast: Cast) -> np.ndarray:
    """The hand grips A from above, covering its top, as when lifting it (T×2)."""
    reach = cast.a[1] + cast.hand[1] * rng.uniform(0.4, 0.6)
    return held + np.array([0.0, -reach])[None, :]


def _relation_of(name: str) -> Callable[[Setting], np.ndarray]:
    return RELATIONS[name][1]


def carried(
    relation: str, grip: Callable[[np.random.Generator, np.ndarray, Cast], np.ndarray]
) -> Generator:
    """A class in which the hand moves A in ``relation`` to a still B, gripping it with ``grip``."""

    def generate(rng: np.random.Generator, n_frames: int, size: float, cast: Cast) -> Action:
        b = np.zeros(2)
        setting = Setting(rng, n_frames, size, draw_window(rng, n_frames), cast.a, b, cast.b)
        a = _relation_of(relation)(setting)
        return Action(a=a, hand=grip(rng, a, cast), b=still(b, n_frames))

    generate.__doc__ = f"The hand moves A {relation.replace('_', ' ')} B."
    return generate


def _slide(rng: np.random.Generator, n_frames: int, size: float, cast: Cast) -> np.ndarray:
    """A slides in a straight line: the slide primitive of :mod:`strg.synth.relations`."""
    window = draw_window(rng, n_frames)
    direction = any_direction(rng)
    distance = rng.uniform(*TRAVEL) * size
    start = -direction * distance / 2
    return lerp(start, start + direction * distance, progress(window, n_frames))


def pushing(rng: np.random.Generator, n_frames: int, size: float, cast: Cast) -> Action:
    """The hand pushes A from behind; B lies elsewhere."""
    a = _slide(rng, n_frames, size, cast)
    return Action(a=a, hand=hand_behind(rng, a, cast))


def alongside(rng: np.random.Generator, n_frames: int, size: float, cast: Cast) -> Action:
    """A slides and the hand moves the same way beside it, never touching it; B lies elsewhere."""
    a = _slide(rng, n_frames, size, cast)
    heading = _heading(a)
    side = (1.0 if rng.random() < 0.5 else -1.0) * np.array([-heading[1], heading[0]])
    reach = touch_distance(cast.a, cast.hand, side) + rng.uniform(*ALONGSIDE_GAP)
    return Action(a=a, hand=a + side[None, :] * reach)


def _hand_out_and_back(relation: Callable[[Setting], np.ndarray]) -> Generator:
    def generate(rng: np.random.Generator, n_frames: int, size: float, cast: Cast) -> Action:
        a = np.zeros(2)
        window = draw_window(rng, n_frames)
        hand = relation(Setting(rng, n_frames, size, window, cast.hand, a, cast.a))
        return Action(a=still(a, n_frames), hand=hand)

    return generate


poking = _hand_out_and_back(bounce)
poking.__doc__ = "The hand goes out to touch the still A and comes back; B lies elsewhere."
pretending_to_poke = _hand_out_and_back(turn_back)
pretending_to_poke.__doc__ = "The hand goes out towards the still A and turns back short of it."


def played_backwards(generator: Generator) -> Generator:
    """The class that plays ``generator``'s actions backwards."""

    def generate(rng: np.random.Generator, n_frames: int, size: float, cast: Cast) -> Action:
        return generator(rng, n_frames, size, cast).reversed()

    return generate


@dataclass(frozen=True)
class RelationalClass:
    """A class of the relational variant: its template and the generator of its actions."""

    template: str
    generate: Generator

    @property
    def name(self) -> str:
        """The class name as Something-Something v2 writes it: the template without brackets."""
        return self.template.replace("[", "").replace("]", "")


_closer = carried("closer", hand_behind)
_on_top = carried("on_top", hand_above)
_next_to = carried("next_to", hand_above)

#: The classes, in label-index order (A fills the first placeholder, B the second).
RELATIONAL_CLASSES: tuple[RelationalClass, ...] = (
    RelationalClass("Moving [something] closer to [something]", _closer),
    RelationalClass("Moving [something] away from [something]", played_backwards(_closer)),
    RelationalClass("Moving [something] past [something]", carried("past", hand_behind)),
    RelationalClass("Putting [something] on top of [something]", _on_top),
    RelationalClass("Taking [something] off [something]", played_backwards(_on_top)),
    RelationalClass("Putting [something] next to [something]", _next_to),
    RelationalClass("Taking [something] from next to [something]", played_backwards(_next_to)),
    RelationalClass(
        "Pushing [something] against [something] and pulling it back",
        carried("bounce", hand_behind),
    ),
    RelationalClass(
        "Moving [something] towards [something] and back without touching it",
        carried("turn_back", hand_behind),
    ),
    RelationalClass("Pushing [something] with a hand", pushing),
    RelationalClass("Pulling [something] with a hand", played_backwards(pushing)),
    RelationalClass("Moving a hand alongside [something] without touching it", alongside),
    RelationalClass("Poking [something]", poking),
    RelationalClass("Pretending to poke [something]", pretending_to_poke),
)
