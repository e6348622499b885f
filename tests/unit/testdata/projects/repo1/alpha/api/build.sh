#!/bin/sh
echo building alpha/api
