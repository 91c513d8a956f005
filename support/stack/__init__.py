"""The embedded stack: the real servers the suite starts, operates and stops around the engine.

    embedded.py       EmbeddedStack: PostgreSQL, Redis, the model and the engine on free ports
    endpoints.py      Endpoints (how to reach a running engine) and the engine's Redis key names
    engine.py         the engine's settings and command line in the embedded stack
    processes.py      starting and stopping a server binary; free ports, scratch folders
    postgres.py       a throwaway PostgreSQL with the Supabase schema (the stack's, and pgTAP's)
    servers.py        faults: Redis or PostgreSQL stopped, the API killed, a slow network
    latency_proxy.py  the TCP proxy that delays every byte, for the slow network
    workers.py        the engine's workers paused, resumed, crashed
    queue_filler.py   filler jobs added to the queue while the workers are paused, then removed
    fixtures.py       behave fixtures that put workers, queue, model and servers back afterwards
"""
