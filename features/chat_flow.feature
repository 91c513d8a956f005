@chat
Feature: Chatting with the assistant
  People type a message and watch the assistant's answer appear as it is written.
  Whatever was said is kept in their conversation history, and nobody sees anyone
  else's answers.

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

  Scenario: Both sides of the exchange are kept in her history
    When she says "Hello there"
    Then her conversation history holds her message followed by the assistant's reply

  Scenario: Nothing is left waiting once the answer is complete
    When she says "Hello there"
    Then no work for her message is left in the queue

  Scenario: Two people chatting at once only see their own answers
    Given Grace has started a new conversation
    When Ada and Grace each send a message at the same moment
    Then each of them gets only the reply to their own message

  Scenario: Someone who reconnects carries on the same conversation
    Given she has had one exchange with the assistant
    When she reconnects to the same conversation
    And she says "I am back"
    Then her conversation history holds both exchanges, in order
