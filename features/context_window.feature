@context @scripted_model
Feature: A conversation longer than the model can read at once is still answered
  People chat for an hour; the model can only read so much of a conversation at a time.
  The assistant keeps answering from the newest part of the conversation, and says plainly
  when a single message is too long for the model even on its own.

  The words used below:
  - The model's window is how much of a conversation the model reads at once, counted in
    tokens: here, one token for every 4 characters of a message, rounded up.
  - A turn is one message of hers and the assistant's answer to it.
  - Left out: a turn the model was not given with her latest message. The assistant
    cannot recall what was left out, and still recalls what it was given.
  - Set aside: a message the engine gave up on and keeps apart for the people running it.

  Background:
    Given the model reads at most 200 tokens at a time
    And Ada has started a new conversation
    And she has told the assistant "My name is Ada"

  Scenario: A conversation that has outgrown the model's window is still answered
    Given she has chatted until her conversation outgrew the model's window
    When she asks "What is my name?"
    Then she receives one complete answer

  Scenario: The model is given as many of the newest turns as fit, in order
    Given she has chatted until her conversation outgrew the model's window
    When she asks "What is my name?"
    Then the model was given as many of her newest turns as fit in its window, whole and in order
    And only her oldest turns were left out, from her first message on
    And the model was given the same opening instructions as at her first message

  Scenario: The assistant no longer recalls what was left out, and still recalls the rest
    Given she has chatted until her conversation outgrew the model's window
    And she has told the assistant "I live in Lisbon"
    When she asks in turn "What is my name?" and "Where do I live?"
    Then the first reply does not mention "Ada", and the second mentions "Lisbon"

  Scenario: A message too long for the model even on its own is refused plainly
    When she sends a message too long for the model's window on its own
    Then she is told her message is too long for the model
    And her message stays in her history, unanswered and not set aside
