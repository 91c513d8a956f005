-- Nothing is seeded on purpose: every scenario of the acceptance suite makes its own users
-- and conversations, so no test leans on shared rows.
select 1;
