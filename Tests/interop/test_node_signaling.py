"""WHIP/WHEP resource handling against a real `loupe serve`: Location, ETag, PATCH (trickle ICE),
DELETE, bearer-token auth, CORS, /api/rooms, and a graceful SIGTERM."""

import asyncio
import json
import signal
import time
import urllib.request

import pytest

pytest.importorskip("aiortc", reason="aiortc is installed by scripts/setup (Tests/interop/requirements.txt)")

from node_harness import patch_aioice_loopback, post_sdp, publish, running_node
from test_node_robustness import http_status


@pytest.fixture(autouse=True)
def loopback_ice():
    patch_aioice_loopback()


async def aiortc_offer() -> str:
    from aiortc import RTCPeerConnection
    from aiortc.mediastreams import AudioStreamTrack
    pc = RTCPeerConnection()
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


def test_location_etag_patch_delete(tmp_path):
    async def main():
        with running_node(tmp_path) as node:
            status, answer, headers = await post_sdp(node.url("/whip/sig"), await aiortc_offer())
            assert status == 201, answer
            assert headers["Content-Type"].startswith("application/sdp")
            location, etag = headers["Location"], headers["ETag"]
            assert location.startswith("/whip/sig/") and etag.startswith('"')
            frag = {"Content-Type": "application/trickle-ice-sdpfrag"}
            body = b"a=ice-ufrag:x\r\na=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n"
            assert http_status(node.url(location), "PATCH", body, frag)[0] == 422  # a new ufrag: ICE restart
            cand = b"a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n"
            assert http_status(node.url(location), "PATCH", cand, frag)[0] == 204
            assert http_status(node.url(location), "PATCH", cand, {**frag, "If-Match": '"stale"'})[0] == 412
            assert http_status(node.url(location), "PATCH", cand, {"Content-Type": "text/plain"})[0] == 415
            rooms = json.loads(urllib.request.urlopen(node.url("/api/rooms")).read())["rooms"]
            assert [r["name"] for r in rooms] == ["sig"] and len(rooms[0]["publishers"]) == 1
            assert http_status(node.url(location), "DELETE")[0] == 200
            assert http_status(node.url(location), "DELETE")[0] == 404
            rooms = json.loads(urllib.request.urlopen(node.url("/api/rooms")).read())["rooms"]
            assert rooms == []
    asyncio.run(main())


def test_bearer_token_per_room(tmp_path):
    config = tmp_path / "loupe.yaml"
    config.write_text("auth:\n  token: open-sesame\n  rooms: {vip: gold}\n  admin_token: ops\n")

    async def main():
        with running_node(tmp_path, "--config", str(config)) as node:
            offer = await aiortc_offer()
            assert (await post_sdp(node.url("/whip/lobby"), offer))[0] == 401
            assert (await post_sdp(node.url("/whip/lobby"), offer, token="wrong"))[0] == 401
            assert (await post_sdp(node.url("/whip/lobby"), offer, token="open-sesame"))[0] == 201
            assert (await post_sdp(node.url("/whip/vip"), await aiortc_offer(), token="open-sesame"))[0] == 401
            assert (await post_sdp(node.url("/whip/vip"), await aiortc_offer(), token="gold"))[0] == 201
            # the admin API has its own token; scrapers and probes stay open
            put = b'{"enabled": false}'
            json_type = {"Content-Type": "application/json"}
            assert http_status(node.url("/api/rooms"), "GET")[0] == 401
            assert http_status(node.url("/api/rooms"), "GET", headers={"Authorization": "Bearer open-sesame"})[0] == 401
            assert http_status(node.url("/api/rooms/vip/processing"), "PUT", put, json_type)[0] == 401
            ops = {"Authorization": "Bearer ops"}
            assert http_status(node.url("/api/rooms"), "GET", headers=ops)[0] == 200
            assert http_status(node.url("/api/rooms/vip/processing"), "PUT", put, {**json_type, **ops})[0] == 200
            assert http_status(node.url("/api/rooms/bad%20name/processing"), "PUT", put, {**json_type, **ops})[0] == 400
            assert http_status(node.url("/metrics"), "GET")[0] == 200
            assert http_status(node.url("/healthz"), "GET")[0] == 200
    asyncio.run(main())


def test_cors_preflight_and_options(tmp_path):
    with running_node(tmp_path) as node:
        req = urllib.request.Request(node.url("/whip/r"), method="OPTIONS", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
        with urllib.request.urlopen(req) as r:
            assert r.status in (200, 204)
            assert r.headers["Access-Control-Allow-Origin"] == "*"
            assert "POST" in r.headers["Access-Control-Allow-Methods"]
        req = urllib.request.Request(node.url("/whip/r"), method="OPTIONS")
        with urllib.request.urlopen(req) as r:
            assert r.status == 204 and r.headers["Accept-Post"] == "application/sdp"


def test_api_rooms_reports_media_and_sigterm_stops_gracefully(tmp_path):
    async def main():
        with running_node(tmp_path) as node:
            pub, video, _ = await publish(node, "stats")
            await asyncio.sleep(3)
            rooms = json.loads(urllib.request.urlopen(node.url("/api/rooms")).read())["rooms"]
            tracks = rooms[0]["publishers"][0]["tracks"]
            kinds = {t["kind"]: t for t in tracks}
            assert kinds["video"]["codec"] == "VP8" and kinds["video"]["bitrate"] > 50_000
            assert kinds["audio"]["codec"] == "opus" and kinds["audio"]["packets"] > 50
            node.process.send_signal(signal.SIGTERM)
            deadline = time.time() + 10
            while node.process.poll() is None and time.time() < deadline:
                await asyncio.sleep(0.1)
            await pub.close()
            assert node.process.returncode == 0, node.log()
            assert "stopped" in node.log()
    asyncio.run(main())
