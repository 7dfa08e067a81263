// Dates and times live in the shared library (libs/dates); this path stays for older imports.
export * from '@receptionist/dates';
