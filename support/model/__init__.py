"""The scriptable model: a deterministic OpenAI-compatible server the engine talks to in the
acceptance suite, and what a scenario uses to script it and to read what it was sent.

    server.py       the app: its routes (model API and control API) and main(); its
                    docstring lists every reply rule, setting and control call
    behaviour.py    the settings a scenario scripts, the log of requests the model
                    recorded, and the model's state that the control API changes
    completions.py  how one completion request is answered: refused, failed, whole or
                    streamed, paced and held while the model is stalled
    replies.py      what the model answers: a pure function of the messages, cut into pieces
    faults.py       what a provider does on a bad day: faults for the next N requests or a while
    window.py       the context window: how a request is counted, and the refusal when too long
    control.py      the client a step uses to script the model and read its recorded requests
    sent.py         reading what the model was sent, however the engine wrote the messages

Run the server by hand from the repository root (the suite starts its own):

    .venv/bin/python -m support.model.server --host 127.0.0.1 --port 8900 [--context-tokens N]
"""
