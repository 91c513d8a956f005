@chat
Feature: Chatting with the assistant
  People type a message and watch the assistant's answer appear as it is written.
  Whatever was said is kept in their conversation history, and nobody sees anyone
  else's answers.

  The words used below:
  - A message is acknowledged when the engine tells her app it has stored the message and
    put it in the queue for the assistant: the app can then show it as sent, and need not
    send it again. This comes before any of the answer.
  - The queue is where messages wait for the assistant, and stay while it writes their
    answers. Once an answer is complete, nothing of its message is left there: neither
    waiting nor marked as still being worked on, or the queue would grow without end.
  - The answer arrives in pieces, numbered from 0 in the order they were written, so the
    app can show it as it grows; the finished answer is those pieces put together.
  - Plain text: an app may send a message as its bare words, without the envelope that
    carries an id of its own; the engine answers it like any other, and the app follows the
    answer by the order of its messages and then by what the engine calls it.
  - Her conversation history is what the engine stored for her: each of her messages,
    followed by the assistant's answer to it, in the order they were said.
  - Messages sent one right after another: she sends the next before the engine has said
    anything about the one before. 20 of them is well inside the limit of 60 in any 10
    seconds (see the refusals), and enough that any other order would show.

  Background:
    Given Ada has started a new conversation

  @smoke
  Scenario: A message is acknowledged before the answer starts
    When she says "Hello there"
    Then her message is acknowledged

  @smoke
  Scenario: The answer streams in, piece by piece, in order
    When she says "Tell me about the sea"
    Then the reply arrives in at least 2 pieces, in order
    And the finished reply is exactly the pieces put together

  Scenario: A message typed as plain text, without an id, is answered like any other
    When she says "Hello in plain words" as plain text, with no id of her own
    Then it is answered and kept like any other message

  Scenario: Both sides of the exchange are kept in her history
    When she says "Hello there"
    Then her conversation history holds her message followed by the assistant's reply

  Scenario: Nothing is left waiting once the answer is complete
    When she says "Hello there"
    Then no work for her message is left in the queue

  Scenario: Messages sent one right after another are acknowledged in the order she sent them
    When she sends 20 messages one right after another
    Then her messages are acknowledged in the order she sent them
    And each of them is answered

  Scenario: Two people chatting at once only see their own answers
    Given Grace has started a new conversation
    When Ada and Grace each send a message at the same moment
    Then each of them gets only the reply to their own message

  Scenario: Someone who reconnects carries on the same conversation
    Given she has had one exchange with the assistant
    When she reconnects to the same conversation
    And she says "I am back"
    Then her conversation history holds both exchanges, in order
