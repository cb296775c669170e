"""Captures real WHIP/WHEP-style SDP offers from headless Chromium and aiortc into
Tests/SDPTests/Fixtures (rerunnable: `timeout 120 .venv/bin/python Tests/interop/capture_offers.py`).

Chromium: sendonly audio+video (WHIP), recvonly audio+video (WHEP), sendonly with VP9 preferred.
aiortc: sendonly and recvonly audio+video. Offers are taken after ICE gathering completes, the way
WHIP clients send them (with candidates)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
FIXTURES = HERE.parents[0] / "SDPTests" / "Fixtures"

# Builds an offer in the page. `mode` is "sendonly" or "recvonly"; `prefer` a codec MIME type to put first.
CHROMIUM_OFFER_JS = """
(async (mode, prefer) => {
  const pc = new RTCPeerConnection();
  window.pc = pc;
  if (mode === "sendonly") {
    const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
    for (const track of stream.getTracks()) pc.addTransceiver(track, {direction: "sendonly", streams: [stream]});
  } else {
    pc.addTransceiver("audio", {direction: "recvonly"});
    pc.addTransceiver("video", {direction: "recvonly"});
  }
  if (prefer) {
    const caps = RTCRtpSender.getCapabilities("video").codecs;
    const first = caps.filter((c) => c.mimeType === prefer && (!c.sdpFmtpLine || !c.sdpFmtpLine.includes("profile-id") || c.sdpFmtpLine.includes("profile-id=0")));
    const rest = caps.filter((c) => !first.includes(c));
    for (const t of pc.getTransceivers()) if (t.receiver.track.kind === "video") t.setCodecPreferences(first.concat(rest));
  }
  await pc.setLocalDescription();
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === "complete") resolve(); };
    setTimeout(resolve, 3000);
  });
  return pc.localDescription.sdp;
})(%s, %s)
"""


def chromium_offer(page, mode: str, prefer: str | None = None) -> str:
    import json
    return page.evaluate(CHROMIUM_OFFER_JS % (json.dumps(mode), json.dumps(prefer)), timeout_s=30)


async def aiortc_offer(mode: str) -> str:
    from node_harness import aiortc_offerer
    pc = await aiortc_offerer(mode)
    try:
        return pc.localDescription.sdp
    finally:
        await pc.close()


class BlankPage:
    """An empty page on http://127.0.0.1 (a secure context, so getUserMedia is available)."""

    def __enter__(self) -> str:
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b"<!doctype html><title>loupe</title>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def main() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    from cdp import Chromium, chromium_path
    if chromium_path() is not None:
        with BlankPage() as url, Chromium(fake_video=None) as browser:
            for name, mode, prefer in [("chromium-whip-sendonly", "sendonly", None),
                                       ("chromium-whep-recvonly", "recvonly", None),
                                       ("chromium-whip-vp9-preferred", "sendonly", "video/VP9")]:
                page = browser.open(url)
                page.wait_for("location.protocol === 'http:' && document.readyState === 'complete'")
                (FIXTURES / f"{name}.sdp").write_text(chromium_offer(page, mode, prefer))
                page.close()
                print("wrote", name)
    for name, mode in [("aiortc-whip-sendonly", "sendonly"), ("aiortc-whep-recvonly", "recvonly")]:
        (FIXTURES / f"{name}.sdp").write_text(asyncio.run(aiortc_offer(mode)))
        print("wrote", name)


if __name__ == "__main__":
    main()
