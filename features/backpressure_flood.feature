@backpressure @slow @scripted_model
Feature: A flood of messages while the model is stuck loses and duplicates nothing
  Many people write many messages at once just when the model has stopped answering. The
  engine keeps every one of them, waits for the model without giving up, and once the model
  answers again, every message gets exactly one answer: none is lost, none answered twice.

  Words and figures used below:
  - 200 people, each on a connection of her own to a conversation of her own, send 10
    messages each as fast as they can, without waiting for any answer: 2000 messages within
    seconds. 10 a person stays within the 60 messages a connection may send in any 10 s.
  - 2000 waiting messages stay below the 3000 at which people are told the assistant is
    busy and the 5000 at which messages are turned away, so every message is taken. What
    happens at those limits, and that a message turned away leaves nothing behind, is
    checked in backpressure.feature.
  - A stalled model takes each question and holds it, only saying now and then that it is
    still there, as providers that queue requests do, until it recovers. The engine answers
    the messages of one conversation one after another, so the model is asked the first
    message of each of the 200 people and holds them, while the other 1800 wait their turn.
  - Answered exactly once: the message is stored once, one answer is stored for it, and her
    connection got that answer once.

  Scenario: Every message of a flood is answered exactly once after the model recovers
    Given the model has stalled
    When 200 people send 10 messages each as fast as they can
    And the model has been asked the first message of each of them
    And the model recovers
    Then every message of the flood is answered exactly once
