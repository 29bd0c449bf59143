"""Batch runs on Ray Data (``summarizer run --engine ray``), for more endpoints than one process feeds.

The pipeline stays where it is: the driver (this process) reads the inputs, skips what the store
already holds and writes every result, one paper per transaction, exactly as with the thread
pool. Only the per-document work, ``extract_safely`` (ask -> validate -> re-ask -> ground ->
direction check -> summary), runs on Ray: the documents needing work become a dataset, and
``map_batches`` sends them through a fixed pool of actors. Each actor builds its own OpenAI
client and Extractor from a picklable ``ExtractorSpec``, talks to one of the ``--base-url``
endpoints (actor k to endpoint k mod E) and runs its share of ``--concurrency`` calls at once.
Finished rows stream back to the driver as they complete and are saved at once, so an
interrupted or killed run keeps everything saved and a re-run resumes like a local one.

Without ``--ray-address`` a local Ray is started on this machine and stopped at the end, with
every socket on 127.0.0.1 (see ``_start_local``); with it, the driver joins that cluster, whose
nodes need this package installed (``pip install 'resistance-summarizer[ray]'``).

Ray is imported here only, and only when this engine runs: the package core never imports it.
"""

from __future__ import annotations

import ipaddress
import itertools
import logging
import math
import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import instructor
import openai

from .errors import BackendError, ConfigError
from .inputs.document import Document
from .model.backends import hide_in_logs
from .model.prompts import PromptSet
from .model.retry import RetryPolicy
from .reading.extract import ExtractionOutcome, Extractor, ExtractSettings, extract_safely

if TYPE_CHECKING:
    from .pipeline import Pipeline

INSTALL_HINT = "install the Ray extra: pip install 'resistance-summarizer[ray]'"

# Documents handed to Ray per dataset ("window"): at least MIN_WINDOW, and WINDOW_PER_REQUEST
# for each request in flight. The driver reads and checks a window ahead and holds it until its
# results are saved. Each window starts a fresh actor pool (seconds) and ends with a tail of
# slots running dry (about one request's time), so a window lasts ~100 request times: that
# overhead stays near 1-3 % while the driver holds ~10 kB per document.
MIN_WINDOW = 10_000
WINDOW_PER_REQUEST = 100


@dataclass(frozen=True)
class ExtractorSpec:
    """Everything an actor needs to build its own client and Extractor (pickled to it).

    The API key travels in the actor's constructor arguments (Ray's object store), never in its
    environment or a log; it is left out of ``repr``.
    """

    base_urls: tuple[str, ...]
    api_key: str = field(repr=False)
    timeout: Any  # what the backend's client has: seconds or an httpx Timeout
    model: str
    mode: instructor.Mode
    prompts: PromptSet
    settings: ExtractSettings
    retry: RetryPolicy
    request_options: dict[str, Any]

    def build(self, base_url: str) -> Extractor:
        """A fresh client (the SDK's own retries off, as every backend's) and Extractor."""
        client = openai.OpenAI(base_url=base_url, api_key=self.api_key, timeout=self.timeout, max_retries=0)
        return Extractor(
            client, self.model, self.mode, self.prompts, self.settings, self.retry, self.request_options
        )


@dataclass
class RayOptions:
    """How to run on Ray (``--ray-address``, ``--ray-actors``, several ``--base-url``)."""

    address: str | None = None  # None: start a local Ray on this machine, loopback only
    actors: int | None = None  # None: one per endpoint
    base_urls: tuple[str, ...] = ()  # empty: the backend's own endpoint
    window: int | None = None  # documents per dataset; None: see MIN_WINDOW
    num_cpus: int | None = None  # CPUs of a local Ray; None: this machine's, at least one per actor


class RayEngine:
    """Runs a pipeline's extractions on Ray Data; the pipeline keeps reading and writing."""

    def __init__(self, options: RayOptions | None = None) -> None:
        self.options = options or RayOptions()
        if self.options.actors is not None and self.options.actors < 1:
            raise ConfigError("--ray-actors must be at least 1")
        if self.options.window is not None and self.options.window < 1:
            raise ConfigError("the Ray window must hold at least one document")

    def run(
        self,
        pipeline: Pipeline,
        todo: Iterator[Document],
        finish: Callable[[Document, ExtractionOutcome], None],
    ) -> None:
        """Extract every document of ``todo`` on Ray; ``finish`` (the single writer) saves each.

        Ray is started only once there is work, so a re-run with everything done starts nothing.
        """
        concurrency = max(1, pipeline.options.concurrency)
        size = self.options.window or max(MIN_WINDOW, WINDOW_PER_REQUEST * concurrency)
        window = list(itertools.islice(todo, size))
        if not window:
            return
        spec = self.spec_for(pipeline)
        actors = self.options.actors or len(spec.base_urls)
        per_actor = max(1, math.ceil(concurrency / actors))
        ray = _start(self.options, actors)
        try:
            dealer = _dealer_class().options(num_cpus=0).remote()
            while window:
                _run_window(ray, spec, dealer, window, actors, per_actor, finish)
                window = list(itertools.islice(todo, size))
        finally:
            ray.shutdown()  # stops a local Ray; only disconnects from a cluster given by address

    def spec_for(self, pipeline: Pipeline) -> ExtractorSpec:
        """The actors' recipe, from the pipeline's backend, prompts and settings."""
        backend = pipeline.backend
        if backend.name == "local":
            raise ConfigError(
                "--engine ray needs --backend openai and the --base-url of each endpoint: the "
                "embedded model serves one request at a time on this machine only"
            )
        client = backend.client()  # builds an object, sends nothing
        return ExtractorSpec(
            base_urls=self.options.base_urls or (str(client.base_url),),
            api_key=client.api_key,
            timeout=client.timeout,
            model=backend.model,
            mode=backend.mode,
            prompts=pipeline.prompts,
            settings=pipeline.options.extract,
            retry=pipeline.options.retry,
            request_options=backend.request_options(),
        )


class _Extract:
    """The ``map_batches`` callable: one per actor, with its own endpoint, client and Extractor."""

    def __init__(self, spec: ExtractorSpec, dealer: Any) -> None:
        import ray

        # Ray workers start without the driver's logging setup: the same redaction and quiet
        # instructor as the CLI (servers echo keys in error bodies; instructor logs those).
        hide_in_logs(spec.api_key)
        logging.getLogger("instructor").setLevel(logging.CRITICAL)
        number = int(ray.get(dealer.next.remote()))
        self.base_url = spec.base_urls[number % len(spec.base_urls)]
        self.extractor = spec.build(self.base_url)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        # Runs in several threads of this actor at once (one Extractor serves many threads, as
        # in the thread pool). extract_safely never raises: a failure is that document's outcome.
        outcomes = [extract_safely(lambda: self.extractor, pickle.loads(doc)) for doc in batch["doc"]]
        return {"index": [int(i) for i in batch["index"]], "outcome": [pickle.dumps(o) for o in outcomes]}


def _run_window(
    ray: Any,
    spec: ExtractorSpec,
    dealer: Any,
    window: list[Document],
    actors: int,
    per_actor: int,
    finish: Callable[[Document, ExtractionOutcome], None],
) -> None:
    """One dataset of documents through the actor pool; each result is saved as it arrives."""
    from ray.data import ActorPoolStrategy

    docs = dict(enumerate(window))
    # Pickled here and unpickled in the actor (both ends are this package): Arrow has no type
    # for a Document, and Ray would warn about every column it had to pickle itself.
    dataset = ray.data.from_items([{"index": i, "doc": pickle.dumps(doc)} for i, doc in docs.items()])
    results = dataset.map_batches(
        _Extract,
        fn_constructor_args=(spec, dealer),
        batch_size=1,  # a document's answer is saved the moment it is there, not with a batch
        batch_format="numpy",
        # Each actor runs its share of the concurrency in threads: the work is waiting on HTTP.
        compute=ActorPoolStrategy(
            size=actors, max_concurrent_calls_per_actor=per_actor, enable_true_multi_threading=True
        ),
        num_cpus=1,
    )
    batches = iter(results.iter_batches(batch_size=None, batch_format="numpy"))
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except Exception as exc:  # Ray's own failure (a node lost, this package missing on a node)
            raise BackendError(
                f"the Ray run stopped: {type(exc).__name__}: {_first_line(exc)}; finished documents "
                "are saved, run the same command again for the rest"
            ) from None
        for index, outcome in zip(batch["index"], batch["outcome"], strict=True):
            finish(docs.pop(int(index)), pickle.loads(outcome))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else "no message"


def _start(options: RayOptions, actors: int) -> Any:
    """Import Ray and connect: to ``options.address``, or to a new local Ray on loopback."""
    if options.address is None:
        return _start_local(options, actors)
    ray = _import_ray()
    _quiet(ray)
    try:
        ray.init(address=options.address, include_dashboard=False, log_to_driver=False)
    except ConnectionError as exc:
        raise ConfigError(f"cannot join the Ray cluster at {options.address}: {_first_line(exc)}") from None
    return ray


def _start_local(options: RayOptions, actors: int) -> Any:
    """A local Ray whose every socket listens on 127.0.0.1 only.

    Ray binds its GCS, raylet, object manager and worker gRPC servers to all interfaces unless
    the node's IP is the loopback address, and it turns a given 127.0.0.1 (``_node_ip_address``,
    ``--node-ip-address``) into the machine's outward IP, except where Ray clusters are
    disabled: ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (Ray's switch for a single-machine Ray;
    despite its name it applies on Linux too). Ray reads it once, when it is first imported,
    and the processes it starts inherit it. The node's address is checked afterwards, since a
    Ray imported earlier in this process would have read it already.
    """
    settings = {
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_USAGE_STATS_ENABLED": os.environ.get("RAY_USAGE_STATS_ENABLED", "0"),  # no reports home
    }
    previous = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        ray = _import_ray()
        _quiet(ray)
        try:
            ray.init(
                address="local",  # never join a cluster named by $RAY_ADDRESS: --ray-address says so
                num_cpus=options.num_cpus or max(os.cpu_count() or 1, actors),
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.ERROR,
            )
        except BaseException:  # e.g. Ctrl-C while it starts: stop what did start
            ray.shutdown()
            raise
    finally:  # Ray's processes have their copy now; leave this process's environment as it was
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    addresses = {str(node.get("NodeManagerAddress")) for node in ray.nodes()}
    if not all(_is_loopback(a) for a in addresses):
        ray.shutdown()
        raise ConfigError(
            f"the local Ray listens on {', '.join(sorted(addresses))}, not 127.0.0.1 only (Ray was "
            "imported before the summarizer could configure it); run the summarizer in its own process"
        )
    return ray


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def _import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise ConfigError(f"--engine ray needs Ray Data: {INSTALL_HINT}") from None
    return ray


def _quiet(ray: Any) -> None:
    """The run prints a line per document; Ray Data's progress bars and plans would bury them."""
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray").setLevel(logging.ERROR)
    logging.getLogger("ray.data").setLevel(logging.ERROR)


def _dealer_class() -> Any:
    """A tiny actor that numbers the pool's actors 0, 1, 2... so endpoints are dealt evenly."""
    import ray

    @ray.remote
    class Dealer:
        def __init__(self) -> None:
            self._count = itertools.count()

        def next(self) -> int:
            return next(self._count)

    return Dealer
