@auth
Feature: Only signed-in people reach their own conversations
  A conversation is private. The engine lets in only people with a sign-in it can trust,
  and only into conversations that are theirs; everyone else is told why at once.

  Scenario: Someone without a sign-in is turned away
    When Eve opens a new conversation without signing in
    Then the engine refuses her as not signed in

  Scenario Outline: A sign-in that cannot be trusted is turned away: <sign-in>
    When Eve opens a new conversation with <sign-in>
    Then the engine refuses her as not signed in

    Examples:
      | sign-in                              |
      | an expired sign-in                   |
      | a sign-in from another project       |
      | a sign-in meant for another audience |
      | a malformed sign-in                  |

  Scenario: Nobody can open someone else's conversation
    Given Ada has started a new conversation
    And she has told the assistant "My secret is safe"
    When Grace tries to open Ada's conversation
    Then the engine refuses her as not allowed
    And Ada's conversation holds only Ada's exchange

  Scenario: A conversation address that is not valid is refused
    When Eve opens the conversation "not-a-conversation-id"
    Then the engine refuses her as a bad request
