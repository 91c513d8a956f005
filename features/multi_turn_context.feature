@context
Feature: The assistant remembers earlier turns of a conversation
  People say something once and expect the assistant to keep it in mind for the rest
  of that conversation, and only in that conversation.

  The words used below:
  - A turn is one message of hers and the assistant's answer to it.
  - The model is the language model that writes the assistant's answers; the engine gives
    it the conversation so far with each new message. In these scenarios it is a stand-in
    that answers only from what it is given: it says her name only if a message it was
    given told it. So whether the assistant remembers shows in the answer, and the
    scenarios marked as using the scripted model also read what the model was given.
  - Another conversation of hers starts with nothing said: it is a new conversation of the
    same person, on a new connection.
  - Messages sent without waiting: she sends each as soon as the one before is
    acknowledged (stored and queued), without waiting for its answer. Each answer must
    still be written knowing every message and answer before it, so the engine answers
    them one at a time, in the order she sent them.

  Background:
    Given Ada has started a new conversation
    And she has told the assistant "My name is Ada"

  Scenario: The assistant recalls her name several turns later
    Given she has told the assistant "I like walking in the mountains"
    And she has told the assistant "I live near the sea"
    When she asks "What is my name?"
    Then the reply mentions "Ada"

  @scripted_model
  Scenario: The assistant is given the whole conversation, in order
    Given she has told the assistant "I like walking in the mountains"
    When she asks "What is my name?"
    Then the model was given all her earlier messages and the assistant's replies, in order

  Scenario: Another conversation of hers does not know her name
    When she starts another conversation
    And she asks "What is my name?"
    Then the reply does not mention "Ada"

  Scenario: The assistant still remembers after she reconnects
    When she reconnects to the same conversation
    And she asks "What is my name?"
    Then the reply mentions "Ada"

  @scripted_model
  Scenario: Messages sent without waiting are each answered knowing the answers before them
    When she sends 3 messages without waiting for the answers
    Then each answer was written knowing every earlier message and its answer
