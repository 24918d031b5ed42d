"""Real key presses on a real X server, as a US-keyboard HID scanner or a person sends them.

A barcode scanner in keyboard mode is a US keyboard: for every character of the code it
presses the key that makes that character on a US layout (Shift held first for capitals
and shifted symbols such as ``:``), whatever layout the till has active. So ``LOYAL:2000…``
scanned while the Russian layout is active arrives as ``ДЩНФДЖ2000…``; the window has to
cope. Key numbers here are X11 keycodes (evdev + 8), sent with XTest, the way the X server
would receive them from a USB keyboard. Nothing here imports the application.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from collections.abc import Iterable

from Xlib import XK, X
from Xlib.display import Display
from Xlib.ext import xtest

XK.load_keysym_group("cyrillic")

# Keys by name (evdev + 8).
KEYCODE: dict[str, int] = {
    "Escape": 9, "BackSpace": 22, "Tab": 23, "Return": 36, "Control_L": 37, "Shift_L": 50,
    "Alt_L": 64, "space": 65, "Home": 110, "Up": 111, "Prior": 112, "Left": 113,
    "Right": 114, "End": 115, "Down": 116, "Next": 117, "Insert": 118, "Delete": 119,
    "F1": 67, "F2": 68, "F3": 69, "F4": 70, "F5": 71, "F6": 72, "F7": 73, "F8": 74,
    "F9": 75, "F10": 76, "F11": 95, "F12": 96,
}  # fmt: skip
MODIFIERS = {"Shift": "Shift_L", "Ctrl": "Control_L", "Alt": "Alt_L"}

# The US layout: character -> (keycode, shift held).
US: dict[str, tuple[int, bool]] = {" ": (65, False)}
_ROWS = [
    (10, "1234567890-=", "!@#$%^&*()_+"),
    (24, "qwertyuiop[]", "QWERTYUIOP{}"),
    (38, "asdfghjkl;'`", 'ASDFGHJKL:"~'),
    (51, "\\zxcvbnm,./", "|ZXCVBNM<>?"),
]
for _first, _plain, _shifted in _ROWS:
    for _i, (_p, _s) in enumerate(zip(_plain, _shifted, strict=True)):
        US[_p] = (_first + _i, False)
        US[_s] = (_first + _i, True)

# What the Russian (ЙЦУКЕН) and Ukrainian layouts put on the US keys: US character of the
# key -> the Cyrillic letter (lower case; Shift gives the capital).
_RU_LETTERS = dict(
    zip("qwertyuiop[]asdfghjkl;'zxcvbnm,.`", "йцукенгшщзхъфывапролджэячсмитьбюё", strict=True)
)
_UA_LETTERS = {k: v for k, v in _RU_LETTERS.items() if k != "`"}
_UA_LETTERS |= {"]": "ї", "s": "і", "'": "є", "\\": "ґ"}
# Punctuation of those layouts that moved: the character -> (keycode, shift).
_CYRILLIC_PUNCT = {
    ".": (61, False), ",": (61, True), '"': (11, True), "№": (12, True), ";": (13, True),
    ":": (15, True), "?": (16, True),
}  # fmt: skip


def _cyrillic_layout(letters: dict[str, str]) -> dict[str, tuple[int, bool]]:
    keys = {ch: US[ch] for ch in "1234567890-= "}
    keys |= {"!": US["!"], "%": US["%"], "*": US["*"], "(": US["("], ")": US[")"]}
    keys |= {"_": US["_"], "+": US["+"]}
    for latin, cyr in letters.items():
        code = US[latin][0]
        keys[cyr] = (code, False)
        if cyr.upper() != cyr:
            keys[cyr.upper()] = (code, True)
    return keys | _CYRILLIC_PUNCT


LAYOUTS: dict[str, dict[str, tuple[int, bool]]] = {
    "us": US,
    "ru": _cyrillic_layout(_RU_LETTERS),
    "ua": _cyrillic_layout(_UA_LETTERS),
}

# The A key under each layout: how we check that a layout really is active.
KEYCODE_A = 38
A_KEY_KEYSYM = {"us": XK.XK_a, "ru": XK.XK_Cyrillic_ef, "ua": XK.XK_Cyrillic_ef}


def keys_for(text: str, layout: str = "us") -> list[tuple[int, bool]]:
    """The (keycode, shift) presses that type ``text`` with ``layout`` active."""
    table = LAYOUTS[layout]
    missing = sorted({ch for ch in text if ch not in table})
    if missing:
        raise ValueError(f"no key makes {missing} on the {layout} layout")
    return [table[ch] for ch in text]


def set_layout(display: str, layout: str) -> None:
    """One layout, as on a cashier's machine (no second group to fall back on)."""
    env = {**os.environ, "DISPLAY": display}
    subprocess.run(["setxkbmap", "-layout", layout], check=True, env=env, timeout=20)
    query = subprocess.run(
        ["setxkbmap", "-query"], check=True, env=env, capture_output=True, text=True, timeout=20
    ).stdout
    active = [ln.split()[1] for ln in query.splitlines() if ln.startswith("layout:")]
    if active != [layout]:
        raise RuntimeError(f"setxkbmap -layout {layout} left the layout at {active}: {query}")
    probe = Display(display)
    try:
        keysym = probe.keycode_to_keysym(KEYCODE_A, 0)
    finally:
        probe.close()
    if keysym != A_KEY_KEYSYM[layout]:
        raise RuntimeError(f"under {layout} the A key gives keysym {keysym:#x}")


class Keyboard:
    """XTest key events on one X display. Every event is flushed and synced at once, so the
    gaps between keys are the ones asked for, not whatever Xlib's buffer makes of them."""

    def __init__(self, display: str) -> None:
        self.display = Display(display)
        if not self.display.has_extension("XTEST"):
            raise RuntimeError(f"the X server on {display} has no XTEST extension")

    def close(self) -> None:
        self.display.close()

    def _event(self, kind: int, keycode: int) -> None:
        xtest.fake_input(self.display, kind, keycode)
        self.display.sync()

    def down(self, keycode: int) -> None:
        self._event(X.KeyPress, keycode)

    def up(self, keycode: int) -> None:
        self._event(X.KeyRelease, keycode)

    def tap(self, keycode: int, shift: bool = False) -> None:
        """One key, with Shift_L held around it when asked (a scanner's capital letter)."""
        if shift:
            self.down(KEYCODE["Shift_L"])
        self.down(keycode)
        self.up(keycode)
        if shift:
            self.up(KEYCODE["Shift_L"])

    def key(self, combo: str, pause: float = 0.05) -> None:
        """A named key or a chord: ``"F9"``, ``"Return"``, ``"Ctrl+Q"``, ``"Shift+Tab"``,
        ``"Alt+t"``. A letter in a chord is the US key of that letter, whatever the layout
        (Ctrl+Q is the key labelled Q, which makes Й under the Russian layout)."""
        *mods, name = combo.split("+")
        code = KEYCODE[name] if name in KEYCODE else US[name.lower()][0]
        held = [KEYCODE[MODIFIERS[m]] for m in mods]
        for m in held:
            self.down(m)
        self.down(code)
        self.up(code)
        for m in reversed(held):
            self.up(m)
        time.sleep(pause)

    def keys(self, *combos: str, pause: float = 0.05) -> None:
        for combo in combos:
            self.key(combo, pause)

    def scan(self, code: str, gap_ms: float = 10, enter: bool = True) -> None:
        """``code`` as a US-keyboard HID scanner sends it: the US key of every character
        (Shift before capitals and shifted symbols), ``gap_ms`` between keys, then Enter."""
        presses = keys_for(code, "us")
        if enter:
            presses.append((KEYCODE["Return"], False))
        for i, (keycode, shift) in enumerate(presses):
            if i:
                time.sleep(gap_ms / 1000)
            self.tap(keycode, shift)

    def type(
        self,
        text: str,
        layout: str = "us",
        enter: bool = False,
        gaps_ms: tuple[int, int] = (120, 250),
        rng: random.Random | None = None,
    ) -> None:
        """``text`` as a person types it with ``layout`` active: the key that makes each
        character under that layout, ``gaps_ms`` (120-250 ms, irregular) from one key press
        to the next, each key held down a little. It returns a person's gap after the last
        key, so whatever comes next (F9, a scan) comes at a person's pace too."""
        rng = rng or random.Random(len(text))
        presses: Iterable[tuple[int, bool]] = keys_for(text, layout)
        if enter:
            presses = [*presses, (KEYCODE["Return"], False)]
        for keycode, shift in presses:
            pressed = time.monotonic()
            gap = rng.uniform(*gaps_ms) / 1000
            hold = min(gap / 2, rng.uniform(30, 70) / 1000)  # the finger stays down a little
            if shift:  # a person holds Shift a moment before the key
                self.down(KEYCODE["Shift_L"])
                time.sleep(0.02)
                pressed = time.monotonic()
                self.down(keycode)
                time.sleep(hold)
                self.up(keycode)
                self.up(KEYCODE["Shift_L"])
            else:
                self.down(keycode)
                time.sleep(hold)
                self.up(keycode)
            time.sleep(max(0.0, pressed + gap - time.monotonic()))
