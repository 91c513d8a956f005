@provider_faults @scripted_model
Feature: Answers survive a model provider having a bad day
  Every week a provider rate-limits, fails, stalls or breaks a stream. When the trouble
  passes quickly people still get one complete answer, and never see a piece of it twice;
  when it lasts, they are told clearly, and their next message is answered.

  What the words below mean, and why the numbers are what they are:
  - The model is the AI provider the engine asks to write each answer; each time it asks
    is a request. The model sends its answer as a stream: piece by piece as it writes,
    ending with a mark that says it is finished. She is shown it piece by piece.
  - A complete answer ends with the engine saying it is finished; every piece is shown
    once, in order, and together they are exactly what the model wrote: nothing missing.
  - The engine tries the model 3 times for one message when the trouble may pass: the
    provider is rate limited (too busy, asking for patience), answers with a server error
    (500 or 503), or its stream stalls, breaks off, sends something garbled or ends early.
    It waits a moment between tries, or as long as the provider asked. Three tries ride
    out a hiccup of a second or two and still tell her within a minute when it lasts: 2
    failures in a row are survived, 3 are not.
  - The engine waits 5 seconds for the model's next words (the test stack's setting, short
    so that a scenario need not wait long). A model that takes 3 seconds to start is within
    that and is waited for; a stall "for longer than it may" is 8 seconds of silence, well
    past it, and counts as a failed try.
  - Written again from the start: when a try fails halfway, the pieces she had are
    replaced by the next try's, from its first word. Each go at writing the answer is an
    attempt; "in a single attempt" means it was never restarted.
  - The provider asks for 2 seconds of patience here; when the engine gives up it passes
    that on to her, so she knows when to try again.
  - Down, or silent, "for longer than the engine keeps trying" lasts 2 minutes, far beyond
    three tries, or until the model is back.
  - When the engine gives up, she is told in words: unavailable for now, or took too long.
    Her message is then filed among those the engine could not answer, with the reason,
    for the people who run the engine to look at.
  - Her history is her conversation as stored. The engine also keeps a copy of what it
    sent her for 5 minutes, as it promises, so that someone who comes back can be sent it
    again; after that the copy is deleted.

  Background:
    Given Ada has started a new conversation

  Rule: Trouble that passes within the engine's 3 tries costs time, not the answer

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
      And the model was asked 2 times
      And nothing she sent was lost or answered twice

      Examples:
        | trouble                                                    |
        | stalls before its first piece for longer than it may       |
        | stalls in the middle for longer than it may                |
        | breaks off in the middle                                   |
        | sends a garbled piece in the middle                        |
        | ends early, without its final event                        |

  Rule: A slow model within the engine's 5 seconds of patience is waited for

    Scenario: A model that takes 3 seconds to start is answered, in a single attempt
      Given the model takes 3 seconds before its first piece
      When she asks "Are you thinking?"
      Then she receives one complete answer, in a single attempt
      And the model was asked 1 time

  Rule: Trouble that outlasts the 3 tries ends in a clear error, and the next message is answered

    Scenario: The model is down for longer than the engine keeps trying, then back
      Given the model is down for longer than the engine keeps trying
      When she tries to ask "Is anyone there?"
      Then she is told the assistant is unavailable for now
      And her message is filed among those the engine could not answer, with the reason
      When the model is back
      And she asks "Is anyone there now?"
      Then she receives one complete answer
      And nothing she sent was lost or answered twice

    Scenario: A provider that keeps asking for patience ends in an error that passes on its advice
      Given the model is rate limited for its next 3 requests, asking for 2 seconds of patience
      When she tries to ask "Can I ask now?"
      Then she is told the assistant is unavailable for now, and to try again in 2 seconds
      And the model was asked 3 times
      And her message is filed among those the engine could not answer, with the reason
      And nothing she sent was lost or answered twice

    Scenario: A stream that keeps breaking off ends in an error, and nothing half-written is kept
      Given the model's streams break off in the middle, 3 times in a row
      When she tries to ask "Tell me a long story"
      Then she is told the assistant is unavailable for now
      And her message is filed among those the engine could not answer, with the reason
      And nothing half-written is kept in her history
      And the engine's copy of what it sent her is deleted within 5 minutes
      And nothing she sent was lost or answered twice

    Scenario: A model that goes silent on every try ends in a time-out error
      Given the model goes silent for longer than the engine keeps trying
      When she tries to ask "Hello?"
      Then she is told the assistant took too long to answer
      And the model was asked 3 times
      And her message is filed among those the engine could not answer, with the reason
      And nothing she sent was lost or answered twice
