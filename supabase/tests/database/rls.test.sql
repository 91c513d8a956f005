-- Row-level security as Supabase applies it: each user reads and writes only their own
-- conversations and messages. Run inside a transaction that is rolled back, acting as the
-- `authenticated` role with the user's JWT claims, because the owner bypasses RLS.
begin;
create extension if not exists pgtap;
select plan(9);

insert into public.conversations (id, user_id) values
    ('a0000000-0000-4000-8000-000000000001', 'a1111111-1111-4111-8111-111111111111'),
    ('b0000000-0000-4000-8000-000000000002', 'b2222222-2222-4222-8222-222222222222');
insert into public.messages (conversation_id, role, content) values
    ('a0000000-0000-4000-8000-000000000001', 'user', 'Ada speaking'),
    ('b0000000-0000-4000-8000-000000000002', 'user', 'Grace speaking');

set local role authenticated;
select set_config('request.jwt.claims',
    '{"sub": "a1111111-1111-4111-8111-111111111111", "role": "authenticated"}', true);

select is(auth.uid(), 'a1111111-1111-4111-8111-111111111111'::uuid,
    'auth.uid() is the sub claim of the request');
select results_eq('select id from public.conversations',
    $$values ('a0000000-0000-4000-8000-000000000001'::uuid)$$,
    'a user sees only her own conversations');
select results_eq('select content from public.messages', $$values ('Ada speaking')$$,
    'a user sees only the messages of her own conversations');
select lives_ok(
    $$insert into public.messages (conversation_id, role, content)
      values ('a0000000-0000-4000-8000-000000000001', 'user', 'more from Ada')$$,
    'a user may write into her own conversation');
select throws_ok(
    $$insert into public.messages (conversation_id, role, content)
      values ('b0000000-0000-4000-8000-000000000002', 'user', 'Ada intrudes')$$,
    '42501', null, 'a user may not write into someone else''s conversation');
select throws_ok(
    $$insert into public.conversations (user_id)
      values ('b2222222-2222-4222-8222-222222222222')$$,
    '42501', null, 'a user may not create a conversation for someone else');

select set_config('request.jwt.claims', '', true);
select is_empty('select * from public.conversations',
    'a request without a user sees no conversations');

reset role;
insert into public.messages (conversation_id, role, content, job_id) values
    ('a0000000-0000-4000-8000-000000000001', 'assistant', 'the reply',
     'c3333333-3333-4333-8333-333333333333');
select throws_ok(
    $$insert into public.messages (conversation_id, role, content, job_id)
      values ('a0000000-0000-4000-8000-000000000001', 'assistant', 'the reply again',
              'c3333333-3333-4333-8333-333333333333')$$,
    '23505', null, 'a job is answered by at most one stored reply');
select lives_ok(
    $$insert into public.messages (conversation_id, role, content, job_id)
      values ('a0000000-0000-4000-8000-000000000001', 'user', 'the question',
              'c3333333-3333-4333-8333-333333333333')$$,
    'the user''s message carries the same job id as its reply');

select * from finish();
rollback;
