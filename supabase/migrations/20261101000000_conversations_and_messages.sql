-- Conversations and their messages, readable only by the user who owns them.

create table public.conversations (
    id          uuid primary key default gen_random_uuid(),
    user_id     uuid not null,
    title       text,
    created_at  timestamptz not null default now()
);

create index conversations_user_id_idx on public.conversations (user_id);

create table public.messages (
    id                 uuid primary key default gen_random_uuid(),
    conversation_id    uuid not null references public.conversations (id) on delete cascade,
    role               text not null check (role in ('user', 'assistant')),
    content            text not null,
    client_message_id  text,
    job_id             uuid,
    created_at         timestamptz not null default clock_timestamp(),
    -- A retried send with the same client id is the same message.
    constraint messages_client_message_unique unique (conversation_id, client_message_id)
);

-- A re-delivered job never writes a second reply. The user's message carries the same
-- job_id, so the uniqueness holds for assistant rows only.
create unique index messages_assistant_job_unique
    on public.messages (job_id) where role = 'assistant';

create index messages_conversation_order_idx
    on public.messages (conversation_id, created_at, id);

alter table public.conversations enable row level security;
alter table public.messages enable row level security;

create policy "users manage their own conversations"
    on public.conversations for all to authenticated
    using (user_id = auth.uid())
    with check (user_id = auth.uid());

create policy "users manage messages of their own conversations"
    on public.messages for all to authenticated
    using (exists (select 1 from public.conversations c
                   where c.id = conversation_id and c.user_id = auth.uid()))
    with check (exists (select 1 from public.conversations c
                        where c.id = conversation_id and c.user_id = auth.uid()));

grant select, insert, update, delete on public.conversations, public.messages
    to authenticated, service_role;
