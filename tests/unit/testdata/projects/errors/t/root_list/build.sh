#!/bin/sh
echo building t/root_list
