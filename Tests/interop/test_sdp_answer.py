"""`loupe sdp answer` against real clients: the client makes an offer, the CLI answers it, and the
same client must accept the answer (setRemoteDescription) with the codec the node chose. Offers the
node cannot serve make the CLI exit non-zero and name the problem."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import subprocess
from pathlib import Path

import pytest

from capture_offers import CHROMIUM_OFFER_JS, FIXTURES, BlankPage
from cdp import Chromium, chromium_path

ROOT = Path(__file__).resolve().parents[2]


def loupe_binary() -> str:
    path = os.environ.get("LOUPE_BIN") or str(ROOT / ".build" / "debug" / "loupe")
    if not os.path.exists(path):
        raise RuntimeError(f"loupe binary not found at {path}: run `swift build` first")
    return path


def random_fingerprint() -> str:
    return ":".join(f"{b:02X}" for b in secrets.token_bytes(32))


def sdp_answer(offer: str, role: str, *extra: str) -> subprocess.CompletedProcess:
    result = subprocess.run([loupe_binary(), "sdp", "answer", "--role", role, "--fingerprint", random_fingerprint(),
                           "--candidate", "127.0.0.1:9", *extra],
                          input=offer.encode(), capture_output=True, timeout=60)
    # Bytes, not text mode: text mode would turn the answer's CRLFs into LFs.
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode(), result.stderr.decode())


def answer_or_fail(offer: str, role: str, *extra: str) -> str:
    result = sdp_answer(offer, role, *extra)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("v=0\r\n")
    return result.stdout


# ---------------------------------------------------------------- aiortc

def aiortc_available() -> bool:
    try:
        import aiortc  # noqa: F401
        return True
    except ImportError:
        return False


@pytest.mark.skipif(not aiortc_available(), reason="aiortc is in Tests/interop/requirements.txt")
@pytest.mark.parametrize("mode", ["sendonly", "recvonly"])
def test_aiortc_accepts_the_answer(mode):
    from aiortc import RTCSessionDescription
    from node_harness import aiortc_offerer

    async def run():
        pc = await aiortc_offerer(mode)
        try:
            answer = answer_or_fail(pc.localDescription.sdp, "whip" if mode == "sendonly" else "whep")
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            audio, video = pc.getTransceivers()
            return answer, audio._codecs[0].mimeType, video._codecs[0].mimeType, video.currentDirection
        finally:
            await pc.close()

    answer, audio_codec, video_codec, direction = asyncio.run(asyncio.wait_for(run(), 60))
    assert audio_codec.lower() == "audio/opus"
    assert video_codec == "video/VP8"
    assert direction == mode
    assert "a=ice-lite\r\n" in answer and "a=group:BUNDLE 0 1\r\n" in answer


# ---------------------------------------------------------------- Chromium

# After the offer: applies the answer, returns the codecs each transceiver negotiated (a sender's
# first codec is the one it sends; a receiver lists every codec it can receive).
CHROMIUM_APPLY_JS = """
(async (sdp) => {
  await window.pc.setRemoteDescription({type: "answer", sdp});
  return window.pc.getTransceivers().map((t) => {
    const p = t.direction === "sendonly" ? t.sender.getParameters() : t.receiver.getParameters();
    return {kind: t.receiver.track.kind, direction: t.currentDirection,
            codec: p.codecs && p.codecs.length ? p.codecs[0].mimeType : null,
            codecs: (p.codecs || []).map((c) => c.mimeType),
            signaling: window.pc.signalingState};
  });
})(%s)
"""


@pytest.fixture(scope="module")
def chromium_page():
    if chromium_path() is None:
        pytest.skip("chromium is installed by scripts/setup")
    with BlankPage() as url, Chromium(fake_video=None) as browser:
        def fresh():
            page = browser.open(url)
            page.wait_for("location.protocol === 'http:' && document.readyState === 'complete'")
            return page
        yield fresh


@pytest.mark.parametrize("mode,prefer,codecs,expected", [
    ("sendonly", None, "vp8,vp9", "video/VP8"),
    ("recvonly", None, "vp8,vp9", "video/VP8"),
    ("sendonly", "video/VP9", "vp9,vp8", "video/VP9"),
    ("sendonly", "video/VP9", "vp8,vp9", "video/VP9"),  # the offer's order decides among allowed codecs
    ("recvonly", None, "vp9", "video/VP9"),
])
def test_chromium_accepts_the_answer(chromium_page, mode, prefer, codecs, expected):
    page = chromium_page()
    try:
        offer = page.evaluate(CHROMIUM_OFFER_JS % (json.dumps(mode), json.dumps(prefer)), timeout_s=30)
        answer = answer_or_fail(offer, "whip" if mode == "sendonly" else "whep", "--video-codecs", codecs)
        result = page.evaluate(CHROMIUM_APPLY_JS % json.dumps(answer), timeout_s=30)
    finally:
        page.close()
    by_kind = {r["kind"]: r for r in result}
    assert by_kind["video"]["signaling"] == "stable"
    assert by_kind["video"]["direction"] == mode
    assert by_kind["audio"]["codec"].lower() == "audio/opus"
    if mode == "sendonly":
        # What Chromium will send: its sender's first codec.
        assert by_kind["video"]["codec"] == expected
    else:
        # A receiver lists everything it can decode; what it gets is the answer's first codec (below).
        assert expected in by_kind["video"]["codecs"]
    video_section = answer.split("m=video", 1)[1]
    first_pt = video_section.split("\r\n", 1)[0].split()[2]
    assert re.search(rf"a=rtpmap:{first_pt} {expected.split('/')[1]}/90000", video_section)


# ---------------------------------------------------------------- offers the node refuses

def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.sdp").read_text()


def without(text: str, pattern: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not re.match(pattern, line))


REFUSED = [
    ("no BUNDLE", lambda o: without(o, r"a=group:BUNDLE"), "422", "BUNDLE"),
    ("no rtcp-mux", lambda o: without(o, r"a=rtcp-mux"), "422", "rtcp-mux"),
    ("no fingerprint", lambda o: without(o, r"a=fingerprint"), "422", "fingerprint"),
    ("sha-1 fingerprint only", lambda o: o.replace("a=fingerprint:sha-256", "a=fingerprint:sha-1"), "422", "fingerprint"),
    ("no ice-ufrag", lambda o: without(o, r"a=ice-ufrag"), "422", "ice-ufrag"),
    ("no ice-pwd", lambda o: without(o, r"a=ice-pwd"), "422", "ice-pwd"),
    ("no supported codec", lambda o: without(o, r"a=rtpmap:\d+ (opus|VP8|VP9)/"), "422", "no supported codec"),
    ("recvonly to WHIP", lambda o: o.replace("a=sendonly", "a=recvonly"), "422", "sendonly"),
    ("malformed m= line", lambda o: o.replace("m=video 37374", "m=video port", 1).replace("m=video 9 ", "m=video port ", 1)
     if "m=video 37374" in o else re.sub(r"m=video \d+", "m=video port", o, count=1), "400", "bad port"),
    ("garbage", lambda o: "hello\r\n", "400", "line 1"),
]


@pytest.mark.parametrize("name,mutate,status,words", REFUSED, ids=[r[0] for r in REFUSED])
@pytest.mark.parametrize("source", ["chromium-whip-sendonly", "aiortc-whip-sendonly"])
def test_refused_offer_names_the_problem(source, name, mutate, status, words):
    offer = mutate(fixture(source))
    assert offer != fixture(source)
    result = sdp_answer(offer, "whip")
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.startswith(status + " "), result.stderr
    assert words in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_real_offers_all_get_answers():
    for path in sorted(FIXTURES.glob("*.sdp")):
        role = "whep" if "whep" in path.name else "whip"
        answer = answer_or_fail(path.read_text(), role)
        assert answer.count("m=") == path.read_text().count("\nm=")
