#!/bin/sh
echo building t/foo
