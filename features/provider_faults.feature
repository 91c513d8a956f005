@provider_faults @scripted_model
Feature: Answers survive a model provider having a bad day
  Every week a provider rate-limits, fails, stalls or breaks a stream. When the trouble
  passes quickly people still get one complete answer, and never see a piece of it twice;
  when it lasts, they are told clearly, and their next message is answered.

  Background:
    Given Ada has started a new conversation

  Rule: Trouble that passes within the engine's retries costs time, not the answer

    Scenario: The provider asks for patience for a moment, and gets it
      Given the model is rate limited for its next 2 requests, asking for 2 seconds of patience
      When she asks "What is the tallest mountain?"
      Then she receives one complete answer
      And the model was asked 3 times, each time at least 2 seconds after the one before
      And nothing she sent was lost or answered twice

    Scenario Outline: The provider fails for a moment with a server error (<status>)
      Given the model answers its next 2 requests with a server error <status>
      When she asks "What is the capital of France?"
      Then she receives one complete answer
      And the model was asked 3 times
      And nothing she sent was lost or answered twice

      Examples:
        | status | meaning               |
        | 500    | internal server error |
        | 503    | service unavailable   |

    Scenario Outline: A stream that <trouble> is written again from the start
      Given the model's next stream <trouble>
      When she asks "Tell me a long story"
      Then she receives one complete answer, written again from the start
      And nothing she sent was lost or answered twice

      Examples:
        | trouble                                                    |
        | stalls before its first piece for longer than it may       |
        | stalls in the middle for longer than it may                |
        | breaks off in the middle                                   |
        | sends a garbled piece in the middle                        |
        | ends early, without its final event                        |

  Rule: A slow model within the engine's patience is waited for

    Scenario: A model that takes 3 seconds to start is answered, in a single attempt
      Given the model takes 3 seconds before its first piece
      When she asks "Are you thinking?"
      Then she receives one complete answer, in a single attempt
      And the model was asked 1 time

  Rule: Trouble that outlasts the retries ends in a clear error, and the next message is answered

    Scenario: The model is down for longer than the engine keeps trying, then back
      Given the model is down for longer than the engine keeps trying
      When she tries to ask "Is anyone there?"
      Then she is told the assistant is unavailable for now
      When the model is back
      And she asks "Is anyone there now?"
      Then she receives one complete answer
      And nothing she sent was lost or answered twice

    Scenario: A provider that keeps asking for patience ends in an error that passes on its advice
      Given the model is rate limited for its next 3 requests, asking for 2 seconds of patience
      When she tries to ask "Can I ask now?"
      Then she is told the assistant is unavailable for now, and to try again in 2 seconds
      And nothing she sent was lost or answered twice

    Scenario: A stream that keeps breaking off ends in an error, and nothing half-written is kept
      Given the model's streams break off in the middle, 3 times in a row
      When she tries to ask "Tell me a long story"
      Then she is told the assistant is unavailable for now
      And nothing she sent was lost or answered twice

    Scenario: A model that goes silent on every try ends in a time-out error
      Given the model goes silent for longer than the engine keeps trying
      When she tries to ask "Hello?"
      Then she is told the assistant took too long to answer
      And nothing she sent was lost or answered twice
