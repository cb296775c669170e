"""Headless Chromium publishes its fake camera (a Y4M file) through the demo page over WHIP, and a
second page subscribes over WHEP (issue "The node", Must show): frames decoded, no freeze over 1 s
in 10 s; VP8 and VP9. Also saves a screenshot of the demo page playing video."""

import json
import os
import urllib.request
from pathlib import Path

import pytest

from cdp import Chromium, chromium_path, write_y4m
from node_harness import HEIGHT, WIDTH, pattern_frame, running_node

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="chromium is installed by scripts/setup")

# Polls the subscriber's inbound video every 100 ms for `ms` milliseconds; reports frames decoded,
# the longest time without a new decoded frame, the codec and the resolution.
WATCH = """
(async (ms) => {
  const pc = subscriber.pc;
  const inbound = async () => {
    let v = null, codec = null;
    const r = await pc.getStats();
    r.forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") { v = s; codec = r.get(s.codecId); } });
    return [v, codec];
  };
  let [first] = await inbound();
  let last = first ? first.framesDecoded : 0, lastChange = performance.now(), longest = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await new Promise((r) => setTimeout(r, 100));
    const [s] = await inbound();
    const now = performance.now();
    if (s && s.framesDecoded > last) { longest = Math.max(longest, now - lastChange); last = s.framesDecoded; lastChange = now; }
  }
  longest = Math.max(longest, performance.now() - lastChange);
  const [s, codec] = await inbound();
  return { framesDecoded: s.framesDecoded - (first ? first.framesDecoded : 0), longestGapMs: longest,
           mime: codec ? codec.mimeType : null, width: s.frameWidth, height: s.frameHeight,
           freezeCount: s.freezeCount, totalFreezesDuration: s.totalFreezesDuration };
})(%d)
"""


@pytest.fixture(scope="module")
def camera(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("camera") / "pattern.y4m"
    return write_y4m(path, (pattern_frame(i) for i in range(90)), WIDTH, HEIGHT)


@pytest.mark.parametrize("codec", ["VP8", "VP9"])
def test_chromium_publishes_and_chromium_subscribes(tmp_path, camera, codec):
    with running_node(tmp_path) as node, Chromium(fake_video=camera) as browser:
        pub = browser.open(node.url(f"/?room=chrome&codec={codec}&autostart=publish"))
        pub.wait_for("document.getElementById('pubState').textContent === 'connected'", timeout_s=20)
        sub = browser.open(node.url(f"/?room=chrome&codec={codec}&autostart=subscribe"))
        sub.wait_for("document.getElementById('subState').textContent === 'connected'", timeout_s=20)
        sub.wait_for("(async () => { const r = await subscriber.pc.getStats(); let n = 0;"
                     " r.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded; });"
                     " return n > 0; })()", timeout_s=10)
        stats = sub.evaluate(WATCH % 10_000, timeout_s=30)
        rooms = json.loads(urllib.request.urlopen(node.url("/api/rooms"), timeout=5).read())
        metrics = node.metrics()
        shots = Path(os.environ.get("LOUPE_SCREENSHOTS", tmp_path))
        shots.mkdir(parents=True, exist_ok=True)
        sub.screenshot(shots / f"demo-{codec.lower()}.png")
        print(f"{codec}: {stats}")
        assert stats["mime"].lower() == f"video/{codec.lower()}"
        assert stats["framesDecoded"] >= 200, f"only {stats['framesDecoded']} frames decoded in 10 s"
        assert stats["longestGapMs"] <= 1000, f"a freeze of {stats['longestGapMs']:.0f} ms"
        assert (stats["width"], stats["height"]) == (WIDTH, HEIGHT)
        # The node's estimates: the publisher's uplink (receive side, abs-send-time) and the
        # subscriber's downlink (send side, from Chromium's transport-cc feedback).
        room = next(r for r in rooms["rooms"] if r["name"] == "chrome")
        uplink = room["publishers"][0]["uplinkEstimate"]
        downlink = room["subscribers"][0]["downlinkEstimate"]
        print(f"{codec}: uplink estimate {uplink} bps, downlink estimate {downlink} bps")
        assert uplink is not None and uplink > 100_000
        assert downlink is not None and downlink > 100_000
        for session, direction in ((room["publishers"][0]["id"], "uplink"), (room["subscribers"][0]["id"], "downlink")):
            key = f'loupe_bandwidth_estimate_bps{{room="chrome",session="{session}",direction="{direction}"}}'
            assert metrics.get(key, 0) > 100_000, f"{key} missing from /metrics"

