"""A new model version rolled out under load: failed requests, switch times, latency.

`ner-pipeline serve` runs in a subprocess on 127.0.0.1 with a TF Serving model
config file (policy latest:2, label ``stable`` on the pushed version V, the
file polled every second). Clients keep sending requests, half of them to
``/v1/models/ner`` (the newest version) and half to ``/labels/stable``. Then:

  push     V is copied to V+1 the way TFX's Pusher copies (every file but
           saved_model.pb, then saved_model.pb): the newest-version clients
           switch to V+1 by themselves, the stable clients must not;
  relabel  once V+1 is loaded, `ner-pipeline model-config --label stable=V+1`
           rewrites the file: the stable clients switch.

A predict response does not say which version answered it (TF Serving's do
not either), so a prober per URL asks its metadata 5 times a second, whose
``model_spec.version`` does. Which version a URL resolves to only ever moves
forward, so once one metadata response reported V+1, every request started
after it is served by V+1; ``*_out_of_order`` counts responses
that contradict this (must be 0). Reported per repeat: failed requests (must
be 0), seconds from the end of the push (or the start of the relabel command)
to the first V+1 response (``*_switch_s``) and until the last request that V
could have served had finished (``*_all_new_s``), and predict latency (p50,
p99, max) before the push, while V+1 loads, after the newest-version clients
switched, and after the relabel.

Before the clients start, V has answered a request on both URLs: it has
served a while. V+1 meets its first clients cold, unless ``--warmup`` gives
both versions TF Serving's warm-up file (serving/warmup.py), which the server
replays before V+1 is AVAILABLE.
"""

import argparse
import json
import os
import pathlib
import tempfile
import threading
import time
from typing import Dict, List

import numpy as np
import requests

from benchmarks.common import spread, write_results
from benchmarks.rollout_setup import (SENTENCES, STABLE, ner_pipeline, prepare, push_version,
                                      running_server, version_available, wait_until,
                                      with_warmup_requests)

WINDOWS = ("predict_before_push", "predict_while_loading", "predict_after_switch",
           "predict_after_relabel")


class Clients:
    """Client threads sending predicts to one URL each, ``pause`` seconds apart (0: as fast
    as the server answers), and per URL a prober asking its metadata 5 times a second.
    Every request is recorded as (URL kind, request kind, start, end, ok, version)."""

    def __init__(self, url: str, count: int, pause: float = 0.0):
        self.events: List[tuple] = []
        self._pause = pause
        self._stop = threading.Event()
        kinds = ["latest" if index % 2 == 0 else STABLE for index in range(count)]
        self._threads = [threading.Thread(target=self._predicts, args=(url, kind, index),
                                          daemon=True) for index, kind in enumerate(kinds)]
        self._threads += [threading.Thread(target=self._probes, args=(url, kind), daemon=True)
                          for kind in ("latest", STABLE)]

    def __enter__(self) -> "Clients":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(120)

    def first_version(self, kind: str, version: int) -> float:
        """End time of the first metadata response of ``kind`` reporting ``version``."""
        ends = [event[3] for event in list(self.events)
                if event[:2] == (kind, "metadata") and event[5] == version]
        return min(ends, default=float("inf"))

    def _predicts(self, url: str, kind: str, index: int) -> None:
        session = requests.Session()
        body = json.dumps({"instances": [SENTENCES[index % len(SENTENCES)]]})
        while not self._stop.is_set():
            self._record(kind, "predict", lambda: session.post(_prefix(url, kind) + ":predict",
                                                               data=body, timeout=120))
            self._stop.wait(self._pause)

    def _probes(self, url: str, kind: str) -> None:
        session = requests.Session()
        while not self._stop.is_set():
            self._record(kind, "metadata", lambda: session.get(_prefix(url, kind) + "/metadata",
                                                               timeout=120))
            self._stop.wait(0.2)

    def _record(self, kind: str, request: str, call) -> None:
        start = time.monotonic()
        try:
            response = call()
            ok = response.status_code == 200
            version = int(response.json()["model_spec"]["version"]) if (
                ok and request == "metadata") else None
        except (requests.RequestException, ValueError, KeyError):
            ok, version = False, None
        self.events.append((kind, request, start, time.monotonic(), ok, version))


def _prefix(url: str, kind: str) -> str:
    return url + "/v1/models/ner" + ("" if kind == "latest" else f"/labels/{STABLE}")


def measure(url: str, setup: Dict, clients: int, before: float, after: float,
            pause: float = 0.0) -> Dict:
    """One rollout (push, then relabel) under load; see the module docstring."""
    old, new = setup["version"], setup["version"] + 1
    for path in ("", f"/labels/{STABLE}"):  # V has served a while: its first calls are done
        requests.post(f"{url}/v1/models/ner{path}:predict", timeout=300,
                      json={"instances": SENTENCES}).raise_for_status()
    with Clients(url, clients, pause) as load:
        time.sleep(before)
        push_start = time.monotonic()
        push_version(setup["source"], setup["base"], new)
        push_end = time.monotonic()
        available = wait_until(lambda: version_available(url, new))
        wait_until(lambda: load.first_version("latest", new) < float("inf"))
        time.sleep(after)  # the newest-version clients on V+1 alone
        relabel_start = time.monotonic()
        ner_pipeline("model-config", "--file", str(setup["config"]), "--label",
                     f"{STABLE}={new}")
        relabel_end = time.monotonic()
        wait_until(lambda: load.first_version(STABLE, new) < float("inf"), 60)
        time.sleep(after)
        end = time.monotonic()
    events = load.events
    latest_new, stable_new = load.first_version("latest", new), load.first_version(STABLE, new)
    predicts = [event for event in events if event[1] == "predict"]
    return {
        "requests": len(events), "failed": sum(not event[4] for event in events),
        "push_seconds": round(push_end - push_start, 2),
        "load_s": round(available - push_end, 2),
        "latest_switch_s": round(latest_new - push_end, 2),
        "latest_all_new_s": round(_last_old_end(events, "latest", latest_new) - push_end, 2),
        "latest_out_of_order": _out_of_order(events, "latest", old, latest_new),
        "stable_on_new_before_relabel": sum(
            1 for event in events if event[0] == STABLE and event[5] == new
            and event[2] < relabel_start),
        "relabel_command_s": round(relabel_end - relabel_start, 2),
        "label_switch_s": round(stable_new - relabel_start, 2),
        "label_all_new_s": round(_last_old_end(events, STABLE, stable_new) - relabel_start, 2),
        "stable_out_of_order": _out_of_order(events, STABLE, old, stable_new),
        "predict_before_push": _latency(predicts, 0.0, push_start),
        "predict_while_loading": _latency(predicts, push_start, latest_new),
        "predict_after_switch": _latency(predicts, latest_new, relabel_start),
        "predict_after_relabel": _latency(predicts, relabel_start, end),
    }


def _last_old_end(events: List[tuple], kind: str, switched: float) -> float:
    """When the last request of ``kind`` that may have reached the old version ended."""
    return max(event[3] for event in events if event[0] == kind and event[2] < switched)


def _out_of_order(events: List[tuple], kind: str, old: int, switched: float) -> int:
    return sum(1 for event in events
               if event[0] == kind and event[5] == old and event[2] > switched)


def _latency(predicts: List[tuple], start: float, end: float) -> Dict:
    times = [1000 * (event[3] - event[2]) for event in predicts if start <= event[2] < end]
    if not times:
        return {"requests": 0}
    return {"requests": len(times), "p50_ms": round(float(np.percentile(times, 50)), 1),
            "p99_ms": round(float(np.percentile(times, 99)), 1), "max_ms": round(max(times), 1)}


def run(source: pathlib.Path, clients: int, before: float, after: float,
        warmup: bool) -> Dict:
    """One repeat: a fresh directory and server."""
    with tempfile.TemporaryDirectory(prefix="rollout-") as work:
        if warmup:
            source = with_warmup_requests(source, pathlib.Path(work))
        setup = prepare(source, pathlib.Path(work))
        with running_server(setup["config"], pathlib.Path(work) / "server.log") as url:
            load_average = os.getloadavg()[0]  # the machine is shared: say how busy it was
            return {**measure(url, setup, clients, before, after),
                    "load_average_1min_at_start": round(load_average, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", type=pathlib.Path,
                        default=os.environ.get("NER_SERVING_TEST_MODEL"),
                        help="A pushed version directory (default: $NER_SERVING_TEST_MODEL)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds-before", type=float, default=5.0)
    parser.add_argument("--seconds-after", type=float, default=3.0)
    parser.add_argument("--warmup", action="store_true",
                        help="Give the versions TF Serving's warm-up file (results go to "
                             "rollout_warmup.json)")
    args = parser.parse_args()
    if args.model_dir is None:
        parser.error("give --model-dir (or set NER_SERVING_TEST_MODEL)")
    runs = []
    for repeat in range(args.repeats):
        runs.append(run(args.model_dir, args.clients, args.seconds_before, args.seconds_after,
                        args.warmup))
        print(f"repeat {repeat + 1}: {json.dumps(runs[-1])}", flush=True)
    keys = ["failed", "load_s", "latest_switch_s", "latest_all_new_s", "label_switch_s",
            "label_all_new_s"]
    summary = {key: spread([run_[key] for run_ in runs], 2) for key in keys}
    for window in WINDOWS:
        for key in ("p99_ms", "max_ms"):
            summary[f"{window}_{key}"] = spread([run_[window][key] for run_ in runs])
    results = {"model_version": args.model_dir.name, "clients": args.clients,
               "repeats": args.repeats, "warmup_requests": args.warmup, "summary": summary,
               "runs": runs}
    print(json.dumps(summary, indent=2))
    name = "rollout_warmup" if args.warmup else "rollout"
    print(f"results: {write_results(name, results)}")


if __name__ == "__main__":
    main()
