-- The schema the engine and the contract (docs/contract.md section 5) rely on: tables,
-- columns and their types, keys, the uniqueness that makes retries and re-deliveries safe,
-- the indexes behind the engine's queries, and row-level security switched on.
begin;
create extension if not exists pgtap;
select plan(36);

select has_table('public', 'conversations', 'conversations exists');
select has_table('public', 'messages', 'messages exists');
select columns_are('public', 'conversations', array['id', 'user_id', 'title', 'created_at'],
    'conversations has exactly the contract''s columns');
select columns_are('public', 'messages',
    array['id', 'conversation_id', 'role', 'content', 'client_message_id', 'job_id', 'created_at'],
    'messages has exactly the contract''s columns');

select col_type_is('public', 'conversations', 'id', 'uuid', 'conversations.id is a uuid');
select col_type_is('public', 'conversations', 'user_id', 'uuid', 'conversations.user_id is a uuid');
select col_type_is('public', 'conversations', 'title', 'text', 'conversations.title is text');
select col_type_is('public', 'conversations', 'created_at', 'timestamp with time zone',
    'conversations.created_at is a timestamptz');
select col_type_is('public', 'messages', 'id', 'uuid', 'messages.id is a uuid');
select col_type_is('public', 'messages', 'conversation_id', 'uuid', 'messages.conversation_id is a uuid');
select col_type_is('public', 'messages', 'role', 'text', 'messages.role is text');
select col_type_is('public', 'messages', 'content', 'text', 'messages.content is text');
select col_type_is('public', 'messages', 'client_message_id', 'text', 'messages.client_message_id is text');
select col_type_is('public', 'messages', 'job_id', 'uuid', 'messages.job_id is a uuid');
select col_type_is('public', 'messages', 'created_at', 'timestamp with time zone',
    'messages.created_at is a timestamptz');

select col_not_null('public', 'conversations', 'user_id', 'a conversation always has an owner');
select col_not_null('public', 'messages', 'conversation_id', 'a message always has a conversation');
select col_not_null('public', 'messages', 'role', 'a message always has a role');
select col_not_null('public', 'messages', 'content', 'a message always has content');
select col_has_check('public', 'messages', 'role', 'a message''s role is checked');

select col_is_pk('public', 'conversations', 'id', 'conversations are keyed by id');
select col_is_pk('public', 'messages', 'id', 'messages are keyed by id');
select fk_ok('public', 'messages', 'conversation_id', 'public', 'conversations', 'id',
    'every message belongs to a conversation');
select col_is_unique('public', 'messages', array['conversation_id', 'client_message_id'],
    'a user message is unique per client_message_id in its conversation');

select has_index('public', 'messages', 'messages_assistant_job_unique', array['job_id'],
    'replies are indexed by job');
select index_is_unique('public', 'messages', 'messages_assistant_job_unique',
    'a job has at most one stored reply');
select is((select pg_get_expr(indpred, indrelid) from pg_index
           where indexrelid = 'public.messages_assistant_job_unique'::regclass),
    '(role = ''assistant''::text)',
    'the one-reply-per-job rule holds for assistant rows only');
select has_index('public', 'messages', 'messages_conversation_order_idx',
    array['conversation_id', 'created_at', 'id'],
    'a conversation''s history is read in order by an index');
select has_index('public', 'conversations', 'conversations_user_id_idx', array['user_id'],
    'a user''s conversations are found by an index');

select ok((select relrowsecurity from pg_class where oid = 'public.conversations'::regclass),
    'row-level security is on for conversations');
select ok((select relrowsecurity from pg_class where oid = 'public.messages'::regclass),
    'row-level security is on for messages');
select policies_are('public', 'conversations', array['users manage their own conversations'],
    'conversations have exactly one policy');
select policies_are('public', 'messages',
    array['users manage messages of their own conversations'],
    'messages have exactly one policy');
select policy_roles_are('public', 'conversations', 'users manage their own conversations',
    array['authenticated'], 'only signed-in users are given rows of conversations');
select policy_roles_are('public', 'messages', 'users manage messages of their own conversations',
    array['authenticated'], 'only signed-in users are given rows of messages');
select policy_cmd_is('public', 'messages', 'users manage messages of their own conversations',
    'all', 'the message policy covers select, insert, update and delete');

select * from finish();
rollback;
