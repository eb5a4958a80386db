/** English texts of the server-rendered pages (login, registration, errors, admin). */
export const pages = {} as const;
