@infra_faults @operates_servers @scripted_model
Feature: Nothing acknowledged is lost when Redis, PostgreSQL or the engine restart
  Servers restart under traffic, and networks slow down. People whose message was taken
  get exactly one answer, or a clear error; a message that is turned away leaves nothing
  behind; and the engine recovers by itself once its servers are back.

  Background:
    Given the assistant answers very slowly

  Scenario: Redis restarts while answers are streaming
    Given Grace has started a new conversation
    And she has had one exchange with the assistant
    And 3 people have each asked a question and the answers have started
    When Redis is down for 3 seconds while Grace sends a message
    Then every answer that had started arrives complete
    And Grace's message is answered, or refused with a clear error
    And nothing anyone sent was lost or answered twice

  Scenario: PostgreSQL restarts while answers are streaming
    Given Grace has started a new conversation
    And she has had one exchange with the assistant
    And 3 people have each asked a question and the answers have started
    When PostgreSQL is down for 3 seconds while Grace sends a message
    Then every answer that had started arrives complete
    And Grace's message is answered, or refused with a clear error
    And someone who starts a conversation now is answered
    And nothing anyone sent was lost or answered twice

  Scenario: The engine's front end is killed and replaced while an answer is being written
    Given Ada has started a new conversation
    And she has asked a question and the answer has started
    When the engine's front end is killed and its launcher replaces it
    And she reconnects to the same conversation
    Then the answer that was written while she was away is in her history
    And nothing anyone sent was lost or answered twice

  Scenario: Redis is unreachable for longer than the engine waits, then back
    Given Grace has started a new conversation
    And she has asked a question and the answer has started
    And Ada has started a new conversation
    When Redis becomes unreachable
    Then Ada's message is refused with a clear error
    And Grace hears that her answer could not be delivered
    When Redis is back
    Then someone who starts a conversation now is answered
    And Ada's refused message left nothing behind
    And nothing anyone sent was lost or answered twice

  Scenario: A slow network to Redis and PostgreSQL costs time, never correctness
    Given the engine reaches Redis and PostgreSQL over a network that adds 30 ms each way
    When 3 people each ask 2 questions at the same time
    Then every answer that had started arrives complete
    And each answer took at least 250 ms
    And nothing anyone sent was lost or answered twice
