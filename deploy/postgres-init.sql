-- The service's own database and role, beside Temporal's (created by the temporal-schema job).
CREATE ROLE deliverability LOGIN PASSWORD 'deliverability';
CREATE DATABASE deliverability OWNER deliverability;
