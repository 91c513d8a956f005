-- Row-level security as Supabase applies it: each user reads and writes only her own
-- conversations and their messages; another user and `anon` get nothing. Run inside a
-- transaction that is rolled back, acting as the `authenticated` (or `anon`) role with the
-- user's JWT claims, because the owner bypasses RLS.
begin;
create extension if not exists pgtap;
select plan(34);

-- Ada (a1...) owns conversation a0..., Grace (b2...) owns b0....
insert into public.conversations (id, user_id) values
    ('a0000000-0000-4000-8000-000000000001', 'a1111111-1111-4111-8111-111111111111'),
    ('b0000000-0000-4000-8000-000000000002', 'b2222222-2222-4222-8222-222222222222');
insert into public.messages (id, conversation_id, role, content) values
    ('aa000000-0000-4000-8000-00000000000a', 'a0000000-0000-4000-8000-000000000001', 'user', 'Ada speaking'),
    ('bb000000-0000-4000-8000-00000000000b', 'b0000000-0000-4000-8000-000000000002', 'user', 'Grace speaking');
-- Supabase grants anon the same table privileges as everyone: only RLS stands in its way.
grant select, insert, update, delete on public.conversations, public.messages to anon;

-- As Ada.
set local role authenticated;
select set_config('request.jwt.claims',
    '{"sub": "a1111111-1111-4111-8111-111111111111", "role": "authenticated"}', true);

select is(auth.uid(), 'a1111111-1111-4111-8111-111111111111'::uuid,
    'auth.uid() is the sub claim of the request');
select results_eq('select id from public.conversations',
    $$values ('a0000000-0000-4000-8000-000000000001'::uuid)$$,
    'select: a user sees only her own conversations');
select results_eq('select content from public.messages', $$values ('Ada speaking')$$,
    'select: a user sees only the messages of her own conversations');
select is_empty($$select * from public.messages
                  where conversation_id = 'b0000000-0000-4000-8000-000000000002'$$,
    'select: asking for someone else''s conversation by id gives nothing');
select lives_ok(
    $$insert into public.messages (conversation_id, role, content)
      values ('a0000000-0000-4000-8000-000000000001', 'user', 'more from Ada')$$,
    'insert: a user may write into her own conversation');
select lives_ok(
    $$insert into public.conversations (id, user_id)
      values ('a0000000-0000-4000-8000-000000000003', 'a1111111-1111-4111-8111-111111111111')$$,
    'insert: a user may start a conversation of her own');
select throws_ok(
    $$insert into public.messages (conversation_id, role, content)
      values ('b0000000-0000-4000-8000-000000000002', 'user', 'Ada intrudes')$$,
    '42501', null, 'insert: a user may not write into someone else''s conversation');
select throws_ok(
    $$insert into public.conversations (user_id)
      values ('b2222222-2222-4222-8222-222222222222')$$,
    '42501', null, 'insert: a user may not create a conversation for someone else');
select isnt_empty(
    $$update public.messages set content = 'Ada, edited'
      where id = 'aa000000-0000-4000-8000-00000000000a' returning id$$,
    'update: a user may change a message of her own');
select is_empty(
    $$update public.messages set content = 'rewritten by Ada'
      where id = 'bb000000-0000-4000-8000-00000000000b' returning id$$,
    'update: a user cannot change someone else''s message');
select is_empty(
    $$update public.conversations set title = 'renamed by Ada'
      where id = 'b0000000-0000-4000-8000-000000000002' returning id$$,
    'update: a user cannot rename someone else''s conversation');
select throws_ok(
    $$update public.messages set conversation_id = 'b0000000-0000-4000-8000-000000000002'
      where id = 'aa000000-0000-4000-8000-00000000000a'$$,
    '42501', null, 'update: a user cannot move her message into someone else''s conversation');
select throws_ok(
    $$update public.conversations set user_id = 'b2222222-2222-4222-8222-222222222222'
      where id = 'a0000000-0000-4000-8000-000000000001'$$,
    '42501', null, 'update: a user cannot hand her conversation to someone else');
select is_empty(
    $$delete from public.messages where id = 'bb000000-0000-4000-8000-00000000000b' returning id$$,
    'delete: a user cannot delete someone else''s message');
select is_empty(
    $$delete from public.conversations
      where id = 'b0000000-0000-4000-8000-000000000002' returning id$$,
    'delete: a user cannot delete someone else''s conversation');
select isnt_empty(
    $$delete from public.messages where content = 'more from Ada' returning id$$,
    'delete: a user may delete a message of her own');

-- As Grace: everything of hers is as it was, and nothing of Ada's shows.
select set_config('request.jwt.claims',
    '{"sub": "b2222222-2222-4222-8222-222222222222", "role": "authenticated"}', true);
select results_eq('select content from public.messages', $$values ('Grace speaking')$$,
    'another user''s message is untouched by Ada and Ada''s are hidden from her');
select results_eq('select id, title from public.conversations',
    $$values ('b0000000-0000-4000-8000-000000000002'::uuid, null::text)$$,
    'another user''s conversation is untouched by Ada');
select is_empty($$update public.messages set content = 'Grace was here'
                  where id = 'aa000000-0000-4000-8000-00000000000a' returning id$$,
    'update: another user cannot change Ada''s message');
select is_empty($$delete from public.conversations
                  where id = 'a0000000-0000-4000-8000-000000000001' returning id$$,
    'delete: another user cannot delete Ada''s conversation');
select throws_ok(
    $$insert into public.messages (conversation_id, role, content)
      values ('a0000000-0000-4000-8000-000000000001', 'assistant', 'a forged reply')$$,
    '42501', null, 'insert: another user cannot put a reply into Ada''s conversation');

-- Signed in, but with no user in the claims.
select set_config('request.jwt.claims', '', true);
select is_empty('select * from public.conversations',
    'a request without a user sees no conversations');
select throws_ok(
    $$insert into public.conversations (user_id) values ('a1111111-1111-4111-8111-111111111111')$$,
    '42501', null, 'a request without a user cannot start a conversation');

-- As anon, with the anon key's claims.
set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select is_empty('select * from public.conversations', 'select: anon sees no conversations');
select is_empty('select * from public.messages', 'select: anon sees no messages');
select throws_ok(
    $$insert into public.conversations (user_id) values ('a1111111-1111-4111-8111-111111111111')$$,
    '42501', null, 'insert: anon cannot start a conversation');
select throws_ok(
    $$insert into public.messages (conversation_id, role, content)
      values ('a0000000-0000-4000-8000-000000000001', 'user', 'anon intrudes')$$,
    '42501', null, 'insert: anon cannot write a message');
select is_empty($$update public.messages set content = 'anon was here' returning id$$,
    'update: anon changes no message');
select is_empty($$delete from public.messages returning id$$, 'delete: anon deletes no message');
select is_empty($$delete from public.conversations returning id$$,
    'delete: anon deletes no conversation');

-- As the owner again: what the engine itself may and may not write.
reset role;
select results_eq(
    $$select content from public.messages order by content$$,
    $$values ('Ada, edited'), ('Grace speaking')$$,
    'the only change that stuck is Ada''s edit of her own message');
insert into public.messages (conversation_id, role, content, job_id) values
    ('a0000000-0000-4000-8000-000000000001', 'assistant', 'the reply',
     'c3333333-3333-4333-8333-333333333333');
select throws_ok(
    $$insert into public.messages (conversation_id, role, content, job_id)
      values ('a0000000-0000-4000-8000-000000000001', 'assistant', 'the reply again',
              'c3333333-3333-4333-8333-333333333333')$$,
    '23505', null, 'a job is answered by at most one stored reply');
select lives_ok(
    $$insert into public.messages (conversation_id, role, content, job_id, client_message_id)
      values ('a0000000-0000-4000-8000-000000000001', 'user', 'the question',
              'c3333333-3333-4333-8333-333333333333', 'retry-1')$$,
    'the user''s message carries the same job id as its reply');
select throws_ok(
    $$insert into public.messages (conversation_id, role, content, client_message_id)
      values ('a0000000-0000-4000-8000-000000000001', 'user', 'the question, resent', 'retry-1')$$,
    '23505', null, 'a resent client_message_id is not stored twice in a conversation');

select * from finish();
rollback;
