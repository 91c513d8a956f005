@context
Feature: The assistant remembers earlier turns of a conversation
  People say something once and expect the assistant to keep it in mind for the rest
  of that conversation, and only in that conversation.

  Background:
    Given Ada has started a new conversation
    And she has told the assistant "My name is Ada"

  Scenario: The assistant recalls her name several turns later
    Given she has told the assistant "I like walking in the mountains"
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
