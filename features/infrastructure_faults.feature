@infra_faults @operates_servers @scripted_model
Feature: Nothing acknowledged is lost when Redis, PostgreSQL or the engine restart
  Servers restart under traffic, and networks slow down. A message the engine has confirmed
  gets exactly one complete answer; a message it turns away gets a clear error and leaves
  nothing behind; and the engine recovers by itself once its servers are back.

  What the words and numbers below mean:
  - Confirmed, or acknowledged: the engine tells the sender that her message is stored (in
    PostgreSQL) and queued for an answer (in Redis). It may say so only once both servers
    have said so.
  - A clear error has a code from the engine's contract and a sentence, and names the
    message it is about.
  - Away, or unreachable: the engine cannot reach the server at all. A message sent while
    Redis or PostgreSQL is away is refused within 45 seconds with the code "unavailable"
    and a time to try again (a whole number of seconds, at least 1), and nothing of it is
    kept; a conversation opened while PostgreSQL is away is turned away before anything is
    said, with the WebSocket's "try again later" (1013). The server stays away in these
    scenarios until the engine has said so.
  - The assistant answers very slowly here: each piece of an answer comes 200 ms after the
    one before (up to 20 pieces), so the answers here, a dozen words or so, take about 3
    seconds, and an outage falls in the middle of answers being written: those of 3 people
    in 3 conversations, so that it hits several at once.
  - A server down for 3 seconds is away longer than a quick reconnection can hide, and
    longer than the rest of the answers it interrupts, so none of them can be finished
    without it.
  - An answer interrupted by an outage still arrives whole within 90 seconds: time for the
    server to come back, for the engine to notice that the answer stopped being written and
    to write it again from the start, on a busy machine.
  - The front end is the engine's process that holds everyone's connections; the launcher
    is the engine's process that starts the others and replaces any that dies. A front end
    killed outright is replaced within 30 seconds, and answers already being written are
    still finished and kept.
  - Longer than the engine waits: Redis stays away until the engine has given up on it.
    The engine may retry for a while, but must tell someone whose answer was being written,
    within 90 seconds, that it cannot be passed on for now ("unavailable", with a time to
    try again), rather than leave her waiting in silence. Her message stays accepted: once
    Redis is back, its answer is written and kept in her history.
  - The slow network adds 30 ms each way between the engine and both servers, as servers
    in another data centre would: every request to them costs 60 ms more, far below any of
    the engine's time limits. No server can answer about a message sooner than 60 ms after
    the message went out to it (30 ms there, 30 ms back), so no confirmation may come
    sooner; one that does confirmed a message before it was safely stored and queued.
    Twice as long, 120 ms, is not promised: the engine may ask both servers at once.
    3 people each send 2 questions at once, so that 6 messages cross it together.

  Background:
    Given the assistant answers very slowly

  Scenario Outline: <server> restarts while answers are streaming
    Given 3 people have each asked a question and the answers have started
    When <server> is down for 3 seconds
    Then every answer that had started arrives complete
    And someone who starts a conversation now is answered
    And nothing anyone sent was lost or answered twice

    Examples:
      | server     | what it holds                                  |
      | Redis      | the queue, and the answers as they are written |
      | PostgreSQL | every message and answer kept                  |

  Scenario: The engine's front end is killed and replaced while an answer is being written
    Given Ada has started a new conversation
    And she has asked a question and the answer has started
    When the engine's front end is killed and its launcher replaces it
    And she reconnects to the same conversation
    Then the answer that was written while she was away is in her history
    And nothing anyone sent was lost or answered twice

  Scenario Outline: A message sent while <server> is away is refused with a time to try again, and nothing of it is kept
    Given Ada has started a new conversation
    And she has had one exchange with the assistant
    When <server> becomes unreachable
    And Ada sends a message while <server> is away
    Then Ada is told her message could not be taken for now, and when to try again
    When <server> is back
    Then nothing of Ada's message was kept, in PostgreSQL or in Redis
    And she can carry on the conversation

    Examples:
      | server     | what it holds                                  |
      | Redis      | the queue, and the answers as they are written |
      | PostgreSQL | every message and answer kept                  |

  Scenario: A conversation opened while PostgreSQL is away is turned away, to try again later
    When PostgreSQL becomes unreachable
    And Ada opens a new conversation while PostgreSQL is away
    Then the engine refuses her as unavailable for now
    When PostgreSQL is back
    Then nothing was kept of her visit
    And someone who starts a conversation now is answered

  Scenario: An answer cut off by Redis staying away ends in an error, and is kept once Redis is back
    Given Grace has started a new conversation
    And she has asked a question and the answer has started
    When Redis becomes unreachable
    Then Grace is told her answer cannot be passed on for now, and when to try again
    When Redis is back
    Then her answer is kept in her history
    And nothing anyone sent was lost or answered twice

  Scenario: A slow network to Redis and PostgreSQL costs time, never correctness
    Given the engine reaches Redis and PostgreSQL over a network that adds 30 ms each way
    When 3 people each ask 2 questions at the same time
    Then every answer that had started arrives complete
    And each message was confirmed, no sooner than 60 ms after it went out to PostgreSQL and to Redis
    And nothing anyone sent was lost or answered twice
