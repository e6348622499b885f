#include "console.h"

#include <locale.h>
#include <ncurses.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "msg.h"
#include "project.h"
#include "worker.h"

static void s_draw(const struct profile *p, const struct project_list *l, const char *err)
{
	erase();
	mvprintw(0, 0, "aftomato  profile %s  executor %s  store %s", p->name,
		 profile_executor_name(p->executor), profile_store_name(p->store));
	int row = 2;
	for (size_t i = 0; l && i < l->count && row < LINES - 2; i++)
		mvprintw(row++, 2, "%s", l->items[i].key);
	if (err)
		mvprintw(LINES - 2, 0, "%s", err);
	mvprintw(LINES - 1, 0, "q quit");
	refresh();
}

int console_run(struct worker *w, const struct console_opts *o)
{
	const struct profile *p = o->profile;
	int sig_fd = o->sig_fd;
	setlocale(LC_ALL, "");
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	struct msg *req = msg_new(MSG_PROJECTS);
	req->id = 1;
	worker_send(w, req);
	struct msg *projects = NULL;
	s_draw(p, NULL, NULL);
	bool quit = false;
	while (!quit) {
		struct pollfd fds[3] = {{.fd = 0, .events = POLLIN},
					{.fd = worker_fd(w), .events = POLLIN},
					{.fd = sig_fd, .events = POLLIN}};
		if (poll(fds, 3, -1) < 0)
			continue;
		if (fds[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sig_fd, &si, sizeof(si)) > 0)
				quit = true;
		}
		if (fds[1].revents & POLLIN) {
			worker_ack(w);
			struct msg *m;
			while ((m = worker_recv(w))) {
				if (m->reply && m->type == MSG_PROJECTS) {
					msg_free(projects);
					projects = m;
				} else {
					msg_free(m);
				}
			}
		}
		if (fds[0].revents & POLLIN) {
			int ch = getch();
			if (ch == 'q')
				quit = true;
		}
		s_draw(p, projects && projects->rc == 0 ? projects->projects : NULL,
		       projects && projects->rc < 0 ? projects->err.msg : NULL);
	}
	msg_free(projects);
	endwin();
	return 0;
}
