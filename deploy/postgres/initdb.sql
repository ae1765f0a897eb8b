-- One database per service (compose): each service owns its schema, migrated by `rdv migrate`.
create database rdv_gateway;
create database rdv_availability;
create database rdv_booking;
create database rdv_usagers;
create database rdv_notifications;
create database rdv_reporting;
-- Extensions the migrations create (trusted, but created here too so a non-superuser owner works).
\connect rdv_availability
create extension if not exists btree_gist;
create extension if not exists unaccent;
create extension if not exists pg_trgm;
\connect rdv_booking
create extension if not exists btree_gist;
\connect rdv_usagers
create extension if not exists unaccent;
create extension if not exists pg_trgm;
\connect rdv_gateway
create extension if not exists unaccent;
create extension if not exists pg_trgm;
